// Tab completion: command names first, then what each argument can be, as
// the vocabulary table says: plugin names from `plugins`, host ids from
// `hosts`, metric paths from `status` (one level at a time), quarantined
// tiles, fixed words, and paths on this machine.

import fs from 'node:fs';
import path from 'node:path';

import { listMetrics } from './metric-condition.js';
import type { Session } from './session.js';
import { commandNames, findShellCommand, type CompletionSource } from './vocabulary.js';

/** A daemon that does not answer within this long offers nothing, rather than freezing Tab. */
const ASK_TIMEOUT_MS = 1000;

export class Completer {
  constructor(
    private readonly session: Session,
    private readonly baseDir: () => string,
  ) {}

  /** Candidates for the word under the cursor, and that word, as readline wants them. */
  async complete(line: string): Promise<[string[], string]> {
    const words = line.trimStart().split(/\s+/);
    const current = words[words.length - 1];
    const position = words.length - 1;

    let candidates: string[];
    if (position === 0) {
      candidates = commandNames();
    } else {
      const command = findShellCommand(words[0]);
      const slots = command?.complete ?? [];
      const sources = slots.length ? slots[Math.min(position - 1, slots.length - 1)] : [];
      const lists = await Promise.all(
        sources.map((source) => this.candidatesFrom(source, current)),
      );
      candidates = lists.flat();
    }
    const matches = [...new Set(candidates.filter((c) => c.startsWith(current)))].sort();
    return [matches, current];
  }

  private async candidatesFrom(source: CompletionSource, current: string): Promise<string[]> {
    if (typeof source !== 'string') return [...source];
    switch (source) {
      case 'command':
        return commandNames();
      case 'plugin':
        return (await this.ask<Array<{ name: string }>>('plugins'))?.map((p) => p.name) ?? [];
      case 'host':
        return (
          (await this.ask<Array<{ id: number | string }>>('hosts'))?.map((h) => String(h.id)) ?? []
        );
      case 'quarantined':
        return (await this.ask<Array<{ tile: string }>>('quarantine'))?.map((q) => q.tile) ?? [];
      case 'metric':
        return nextSegments(listMetrics(await this.ask('status')), current);
      case 'path':
        return completePath(current, this.baseDir(), () => true);
      case 'recipe':
        return completePath(current, this.baseDir(), (name) => name.endsWith('.edge'));
    }
  }

  private async ask<T>(cmd: string): Promise<T | undefined> {
    if (!this.session.attached) return undefined;
    try {
      return await this.session.request<T>(cmd, [], AbortSignal.timeout(ASK_TIMEOUT_MS));
    } catch {
      // A daemon that cannot answer now (an old one, a busy one) offers nothing.
      return undefined;
    }
  }
}

/** Metric paths cut one level below what is typed: `t` gives `tiles.`, then `tiles.fed`. */
function nextSegments(paths: string[], current: string): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith(current)) continue;
    const dot = p.indexOf('.', current.length);
    out.add(dot < 0 ? p : p.slice(0, dot + 1));
  }
  return [...out];
}

/** Files and folders (with a trailing slash) that start with what is typed. */
function completePath(
  current: string,
  baseDir: string,
  keepFile: (name: string) => boolean,
): string[] {
  const slash = current.lastIndexOf('/');
  const typedDir = slash >= 0 ? current.slice(0, slash + 1) : '';
  const prefix = current.slice(slash + 1);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.resolve(baseDir, typedDir || '.'), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.')))
    .filter((e) => e.isDirectory() || keepFile(e.name))
    .map((e) => typedDir + e.name + (e.isDirectory() ? '/' : ''));
}
