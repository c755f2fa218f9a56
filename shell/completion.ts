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

/** How long an answer from the daemon serves Tab before it is asked again. */
const FRESH_MS = 2000;

/** The daemon query behind each live source. */
const QUERY: Partial<Record<string, string>> = {
  plugin: 'plugins',
  host: 'hosts',
  quarantined: 'quarantine',
  metric: 'status',
};

export class Completer {
  private readonly answers = new Map<string, { at: number; value: unknown }>();

  constructor(
    private readonly session: Session,
    private readonly baseDir: () => string,
  ) {}

  /**
   * Candidates for the word under the cursor, and that word, as readline
   * wants them; undefined when the daemon must be asked first.
   *
   * Answers from the daemon are kept for FRESH_MS, so the second Tab of a
   * double Tab (which lists the candidates) needs no second round trip.
   */
  completeNow(line: string): [string[], string] | undefined {
    const { current, sources } = this.parse(line);
    if (sources.some((source) => this.queryOf(source) && !this.fresh(this.queryOf(source)!))) {
      return undefined;
    }
    const candidates = sources.flatMap((source) => this.candidatesFrom(source, current));
    const matches = [...new Set(candidates.filter((c) => c.startsWith(current)))].sort();
    return [matches, current];
  }

  /** Asks the daemon what the line needs, then completes it. */
  async complete(line: string): Promise<[string[], string]> {
    const { sources } = this.parse(line);
    const queries = new Set(sources.map((source) => this.queryOf(source)).filter(Boolean));
    await Promise.all([...queries].map((query) => this.ask(query!)));
    return this.completeNow(line) ?? [[], line];
  }

  private parse(line: string): { current: string; sources: CompletionSource[] } {
    const words = line.trimStart().split(/\s+/);
    const current = words[words.length - 1];
    const position = words.length - 1;
    if (position === 0) return { current, sources: ['command'] };
    const slots = findShellCommand(words[0])?.complete ?? [];
    return {
      current,
      sources: slots.length ? slots[Math.min(position - 1, slots.length - 1)] : [],
    };
  }

  private queryOf(source: CompletionSource): string | undefined {
    return typeof source === 'string' && this.session.attached ? QUERY[source] : undefined;
  }

  private fresh(query: string): boolean {
    const answer = this.answers.get(query);
    return answer !== undefined && Date.now() - answer.at < FRESH_MS;
  }

  private answer<T>(query: string): T | undefined {
    return this.answers.get(query)?.value as T | undefined;
  }

  private candidatesFrom(source: CompletionSource, current: string): string[] {
    if (typeof source !== 'string') return [...source];
    switch (source) {
      case 'command':
        return commandNames();
      case 'plugin':
        return this.answer<Array<{ name: string }>>('plugins')?.map((p) => p.name) ?? [];
      case 'host':
        return this.answer<Array<{ id: number | string }>>('hosts')?.map((h) => String(h.id)) ?? [];
      case 'quarantined':
        return this.answer<Array<{ tile: string }>>('quarantine')?.map((q) => q.tile) ?? [];
      case 'metric':
        return nextSegments(listMetrics(this.answer('status')), current);
      case 'path':
        return completePath(current, this.baseDir(), () => true);
      case 'recipe':
        return completePath(current, this.baseDir(), (name) => name.endsWith('.edge'));
    }
  }

  private async ask(query: string): Promise<void> {
    let value: unknown;
    try {
      value = await this.session.request(query, [], AbortSignal.timeout(ASK_TIMEOUT_MS));
    } catch {
      // A daemon that cannot answer now (an old one, a busy one) offers nothing.
      value = undefined;
    }
    this.answers.set(query, { at: Date.now(), value });
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
