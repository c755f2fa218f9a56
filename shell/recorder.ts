// `record FILE`: keeps the commands typed from now on as a recipe. The time
// a person spent between commands becomes a `sleep` line, so a replay keeps
// the session's rhythm (and --speed can compress it). Each line is written
// as it happens: a shell that dies still leaves the recipe so far.

import fs from 'node:fs';

import { EdgecamError } from '../core/errors.js';
import { formatDuration } from './durations.js';

/** Pauses shorter than this are typing, not rhythm, and are not kept. */
const SHORTEST_PAUSE_MS = 100;

/** Words that change the shell itself, not the pipeline: a recipe does not replay them. */
const NOT_RECORDED = new Set(['record', 'replay', 'attach', 'detach', 'quit', 'help', 'watch']);

export class Recorder {
  private file?: string;
  private lines = 0;
  private lastEnded = 0;

  constructor(private readonly holdsSecret: (line: string) => boolean) {}

  get active(): boolean {
    return this.file !== undefined;
  }

  /** Starts a recording; returns what to tell the person. */
  start(file: string, attachedTo: string | undefined): string {
    if (this.file) {
      throw new EdgecamError(
        'RECORDING',
        `already recording to ${this.file}`,
        'type `record stop` first',
      );
    }
    const header = [
      `# Recorded by the edgecam shell on ${new Date().toISOString()}`,
      `# against ${attachedTo ?? 'no daemon'}. Replay: edgecam run ${file}`,
      '',
    ].join('\n');
    try {
      fs.writeFileSync(file, header, { flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new EdgecamError(
        'RECORD_FILE',
        `cannot record to ${file}: ${code === 'EEXIST' ? 'the file exists' : code}`,
        code === 'EEXIST'
          ? 'choose a new name, or remove the old recording first'
          : 'choose a folder you can write to',
      );
    }
    this.file = file;
    this.lines = 0;
    this.lastEnded = Date.now();
    return `recording to ${file}; \`record stop\` ends it`;
  }

  /** Keeps one command that ran: `line` as it ran, started at `startedAt`, just ended. */
  note(cmd: string, line: string, startedAt: number): void {
    if (!this.file || NOT_RECORDED.has(cmd) || this.holdsSecret(line)) return;
    const pause = startedAt - this.lastEnded;
    const lines =
      pause >= SHORTEST_PAUSE_MS ? [`sleep ${formatDuration(roundPause(pause))}`, line] : [line];
    fs.appendFileSync(this.file, lines.join('\n') + '\n');
    this.lines++;
    this.lastEnded = Date.now();
  }

  stop(): string {
    if (!this.file) return 'not recording';
    const file = this.file;
    this.file = undefined;
    return `recorded ${this.lines} commands to ${file}; replay it with \`replay ${file}\``;
  }
}

/** Whole tenths of a second: a recipe says `sleep 2.3s`, not `sleep 2317ms`. */
function roundPause(ms: number): number {
  return Math.max(SHORTEST_PAUSE_MS, Math.round(ms / 100) * 100);
}
