// The shell's history, kept between sessions in ~/.edgecam_history (0600).
// A line that holds a token is never written, and is taken out of the
// in-memory history too, so neither the file nor the Up arrow shows it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HISTORY_SIZE = 1000;

export function defaultHistoryFile(): string {
  return path.join(os.homedir(), '.edgecam_history');
}

/** Lines of the history file, newest first (readline's order); none if it cannot be read. */
export function loadHistory(file: string): string[] {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

export class History {
  private appended = 0;

  constructor(
    private readonly file: string,
    private readonly holdsSecret: (line: string) => boolean,
  ) {}

  /**
   * Keeps `line` (just entered) unless it holds a secret; `memory` is the
   * REPL's history array, newest first, which already holds the line.
   */
  keep(line: string, memory: string[]): void {
    const text = line.trim();
    if (!text) return;
    if (this.holdsSecret(text)) {
      const at = memory.findIndex((entry) => entry.trim() === text);
      if (at >= 0) memory.splice(at, 1);
      return;
    }
    try {
      fs.appendFileSync(this.file, text + '\n', { mode: 0o600 });
      if (++this.appended % 100 === 0) this.trim();
    } catch {
      // History is a convenience: a read-only home must not stop the shell.
    }
  }

  /** Keeps the file to the last HISTORY_SIZE lines. */
  private trim(): void {
    const lines = fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    if (lines.length > HISTORY_SIZE)
      fs.writeFileSync(this.file, lines.slice(-HISTORY_SIZE).join('\n') + '\n');
  }
}
