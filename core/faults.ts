// Faults injected on purpose: kill a host, drop tiles, add delay, stall a
// host. Each can expire on its own and carries a seed, so a run replays the
// same: a tile is dropped or delayed by a hash of (seed, tile name, attempt),
// not by the order tiles happen to arrive in.

import { UsageError } from './errors.js';
import type { Logger } from './logger.js';

export type FaultKind = 'kill-algo' | 'drop' | 'delay' | 'stall';
export type FaultStage = 'read' | 'queue' | 'execute' | 'write';

export interface Fault {
  id: number;
  kind: FaultKind;
  spec: string;
  stage?: FaultStage;
  percent?: number;
  delayMs?: number;
  jitterMs?: number;
  target?: string;
  everyMs?: number;
  seed: number;
  expiresAt?: number;
  injected: number;
}

/** What the injector can do to hosts; the daemon provides it. */
export interface HostActions {
  /** SIGKILLs the named host, `all`, or (undefined) the busiest; returns ids killed. */
  kill(target: string | undefined): string[];
  /** SIGSTOPs a host (undefined: the busiest); returns the ids stopped. */
  stop(target: string | undefined): string[];
  /** SIGCONTs hosts stopped earlier, if they still live. */
  resume(ids: string[]): void;
}

export const FAULT_USAGE: Record<FaultKind, string> = {
  'kill-algo': 'kill-algo [HOST|all] [every DURATION] [for DURATION]',
  drop: 'drop P% [read|execute|write] [for DURATION] [seed N]',
  delay: 'delay D[±J] [read|queue|execute|write] [for DURATION] [seed N]',
  stall: 'stall [HOST] [for DURATION]',
};

export class FaultInjector {
  private readonly faults = new Map<number, Fault>();
  private readonly timers = new Map<number, NodeJS.Timeout[]>();
  private readonly stalled = new Map<number, string[]>();
  private nextId = 1;
  /** Faults injected since start, by kind (each drop, delay, kill or stall). */
  readonly injectedTotal: Record<FaultKind, number> = {
    'kill-algo': 0,
    drop: 0,
    delay: 0,
    stall: 0,
  };

  constructor(
    private readonly hosts: HostActions,
    private readonly logger: Logger,
  ) {}

  add(kind: FaultKind, words: string[]): Fault & { killed?: string[]; stalled?: string[] } {
    const fault = parseFault(kind, words, this.nextId);
    this.nextId++;
    const result: Fault & { killed?: string[]; stalled?: string[] } = fault;

    if (kind === 'kill-algo') {
      result.killed = this.kill(fault);
      // A one-shot kill is done at once; only `every` keeps a fault active.
      if (!fault.everyMs) return { ...result, expiresAt: undefined };
      this.schedule(
        fault,
        setInterval(() => this.kill(fault), fault.everyMs),
      );
    } else if (kind === 'stall') {
      const ids = this.hosts.stop(fault.target);
      if (ids.length === 0)
        throw new UsageError('stall', 'a host that is running', fault.target ?? 'none ready');
      this.stalled.set(fault.id, ids);
      fault.injected++;
      this.injectedTotal.stall++;
      result.stalled = ids;
    }

    this.faults.set(fault.id, fault);
    if (fault.expiresAt) {
      this.schedule(
        fault,
        setTimeout(() => this.remove(fault.id, 'expired'), fault.expiresAt - Date.now()),
      );
    }
    this.logger.info('fault-on', fault.spec, { fault: fault.id, kind, seed: fault.seed });
    return result;
  }

  list(): Array<Fault & { expiresInMs?: number }> {
    const now = Date.now();
    return [...this.faults.values()].map((f) => ({
      ...f,
      expiresInMs: f.expiresAt ? Math.max(0, f.expiresAt - now) : undefined,
    }));
  }

  /** Removes every fault (or the one with this id) at once; never waits for the pipeline. */
  clear(id?: number): number {
    if (id !== undefined && !this.faults.has(id)) {
      const active = [...this.faults.keys()].join(', ') || 'none';
      throw new UsageError('faults clear', `the id of an active fault (${active})`, id);
    }
    const ids = id === undefined ? [...this.faults.keys()] : [id];
    for (const each of ids) this.remove(each, 'cleared');
    return ids.length;
  }

  /** True if a drop fault at this stage takes this attempt of this tile. */
  shouldDrop(stage: FaultStage, tile: { name: string; attempt: number }): boolean {
    for (const fault of this.faults.values()) {
      if (fault.kind !== 'drop' || fault.stage !== stage) continue;
      if (unitHash(fault.seed, tile.name, tile.attempt, stage) * 100 < fault.percent!) {
        fault.injected++;
        this.injectedTotal.drop++;
        return true;
      }
    }
    return false;
  }

  /** Added latency (ms) for this tile at this stage; 0 when no delay fault applies. */
  delayFor(stage: FaultStage, tile: { name: string; attempt: number }): number {
    let total = 0;
    for (const fault of this.faults.values()) {
      if (fault.kind !== 'delay' || fault.stage !== stage) continue;
      const u = unitHash(fault.seed, tile.name, tile.attempt, stage) * 2 - 1;
      total += Math.max(0, fault.delayMs! + u * fault.jitterMs!);
      fault.injected++;
      this.injectedTotal.delay++;
    }
    return total;
  }

  private kill(fault: Fault): string[] {
    const killed = this.hosts.kill(fault.target);
    fault.injected += killed.length;
    this.injectedTotal['kill-algo'] += killed.length;
    if (killed.length)
      this.logger.info('fault-kill', `killed ${killed.join(', ')}`, {
        fault: fault.id,
        hosts: killed,
      });
    return killed;
  }

  private schedule(fault: Fault, timer: NodeJS.Timeout): void {
    timer.unref();
    this.timers.set(fault.id, [...(this.timers.get(fault.id) ?? []), timer]);
  }

  private remove(id: number, why: 'expired' | 'cleared'): void {
    const fault = this.faults.get(id);
    if (!fault) return;
    for (const timer of this.timers.get(id) ?? []) clearTimeout(timer);
    this.timers.delete(id);
    this.faults.delete(id);
    const stalled = this.stalled.get(id);
    if (stalled) this.hosts.resume(stalled);
    this.stalled.delete(id);
    this.logger.info('fault-off', `${fault.spec} (${why})`, {
      fault: id,
      kind: fault.kind,
      injected: fault.injected,
    });
  }
}

/** Parses the words after a fault command, e.g. ["5%", "read", "for", "10s", "seed", "7"]. */
export function parseFault(kind: FaultKind, words: string[], id: number): Fault {
  const usage = FAULT_USAGE[kind];
  const fault: Fault = {
    id,
    kind,
    spec: [kind, ...words].join(' '),
    seed: Math.floor(Math.random() * 2 ** 31),
    injected: 0,
  };
  const rest = [...words];

  // Trailing options: for DURATION, seed N, every DURATION.
  for (let i = 0; i < rest.length;) {
    const word = rest[i];
    if (word === 'for' || word === 'every' || word === 'seed') {
      const value = rest[i + 1];
      if (value === undefined)
        throw new UsageError(
          `${kind} ${word}`,
          word === 'seed' ? 'a number' : 'a duration like 10s',
          undefined,
          usage,
        );
      if (word === 'for') {
        const ms = parseDuration(value, `${kind} for`, usage);
        if (ms <= 0) throw new UsageError(`${kind} for`, 'a duration above zero', value, usage);
        fault.expiresAt = Date.now() + ms;
      } else if (word === 'every') {
        if (kind !== 'kill-algo') throw new UsageError(kind, 'no `every`', word, usage);
        fault.everyMs = parseDuration(value, 'kill-algo every', usage);
        if (fault.everyMs < 10) {
          throw new UsageError('kill-algo every', 'a period of at least 10ms', value, usage);
        }
      } else {
        const seed = Number(value);
        if (!Number.isInteger(seed) || seed < 0)
          throw new UsageError(`${kind} seed`, 'a whole number', value, usage);
        fault.seed = seed;
      }
      rest.splice(i, 2);
    } else {
      i++;
    }
  }

  switch (kind) {
    case 'drop': {
      const match = /^(\d+(?:\.\d+)?)%$/.exec(rest[0] ?? '');
      if (!match || Number(match[1]) > 100) {
        throw new UsageError('drop', 'a percentage from 0% to 100%, like 5%', rest[0], usage);
      }
      fault.percent = Number(match[1]);
      fault.stage = stageOf(rest[1], ['read', 'execute', 'write'], 'drop', usage);
      if (rest.length > 2)
        throw new UsageError('drop', 'nothing more', rest.slice(2).join(' '), usage);
      break;
    }
    case 'delay': {
      const match = /^([^±+]+)(?:(?:±|\+-)(.+))?$/.exec(rest[0] ?? '');
      if (!match) throw new UsageError('delay', 'a duration like 20ms or 20ms±5ms', rest[0], usage);
      fault.delayMs = parseDuration(match[1], 'delay', usage);
      fault.jitterMs = match[2] ? parseDuration(match[2], 'delay jitter', usage) : 0;
      fault.stage = stageOf(rest[1], ['read', 'queue', 'execute', 'write'], 'delay', usage);
      if (rest.length > 2)
        throw new UsageError('delay', 'nothing more', rest.slice(2).join(' '), usage);
      break;
    }
    case 'kill-algo':
      if (fault.expiresAt && !fault.everyMs) {
        const expected = '`every DURATION` with it (one kill has nothing to expire)';
        throw new UsageError('kill-algo for', expected, 'for', usage);
      }
      if (rest.length > 1) throw new UsageError(kind, 'at most one host', rest.join(' '), usage);
      fault.target = rest[0];
      break;
    case 'stall':
      if (rest.length > 1) throw new UsageError(kind, 'at most one host', rest.join(' '), usage);
      fault.target = rest[0];
      if (kind === 'stall' && fault.target === 'all')
        throw new UsageError('stall', 'one host id', 'all', usage);
      break;
  }
  return fault;
}

function stageOf(
  word: string | undefined,
  allowed: FaultStage[],
  kind: string,
  usage: string,
): FaultStage {
  if (word === undefined) return 'execute';
  if (!(allowed as string[]).includes(word))
    throw new UsageError(`${kind} stage`, allowed.join(', '), word, usage);
  return word as FaultStage;
}

/** The longest fault duration: Node's timers hold at most about 24.8 days. */
const MAX_DURATION_MS = 24 * 3600 * 1000;

export function parseDuration(text: string, parameter: string, usage?: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new UsageError(parameter, 'a duration like 500ms, 10s, 2m or 1h', text, usage);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(match[1]) * scale;
  if (ms > MAX_DURATION_MS)
    throw new UsageError(parameter, 'a duration of at most 24h', text, usage);
  return ms;
}

/** A number in [0, 1) from the inputs alone (FNV-1a, then a final mix). */
function unitHash(seed: number, name: string, attempt: number, stage: string): number {
  let h = 0x811c9dc5 ^ seed;
  const text = `${name}\u0000${attempt}\u0000${stage}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}
