// The algorithm hosts of the running plugin: starts them, picks one for each
// tile, restarts a host that dies or stalls (with backoff, and a crash-loop
// guard), and swaps every host to a new plugin without losing a tile.

import { EventEmitter } from 'node:events';

import { AlgorithmHost, type DoneMessage } from './algorithm-host.js';
import type { Logger } from './logger.js';
import { LatencyHistogram } from './metrics.js';
import type { PreparedPlugin } from './plugin-store.js';

export interface HostPoolOptions {
  count: number;
  hostPath: string;
  memfd: number;
  slots: number;
  slotSize: number;
  deadlineMs: number;
  memoryMb: number;
  /** RUN messages a host may hold at once; 2 keeps it busy between batches. */
  depth: number;
  logger: Logger;
}

export interface Generation {
  id: number;
  plugin: PreparedPlugin;
  hosts: AlgorithmHost[];
}

export interface PoolEvents {
  done: [AlgorithmHost, Generation, DoneMessage];
  /** Tiles a host held when it died; the pipeline retries them. */
  lost: [AlgorithmHost, number[], string];
  restart: [AlgorithmHost];
}

const CRASH_WINDOW_MS = 30_000;
const CRASH_LIMIT = 5;

export class HostPool extends EventEmitter<PoolEvents> {
  current?: Generation;
  restarts = 0;
  /** From a host's death to its replacement's READY. */
  readonly restartLatency = new LatencyHistogram();
  private readonly retiring = new Set<AlgorithmHost>();
  private readonly recentCrashes: number[] = [];
  private readonly seatRestarts = new Map<string, number>();
  /** Deaths in a row, per seat, of hosts that had answered no tile. */
  private readonly failStreak = new Map<string, number>();
  private generations = 0;
  private stopping = false;
  private watchdog?: NodeJS.Timeout;
  private readonly progressAt = new Map<AlgorithmHost, number>();

  constructor(private readonly options: HostPoolOptions) {
    super();
  }

  /** True while more than CRASH_LIMIT hosts died without doing work in the last window. */
  get crashLoop(): boolean {
    const since = Date.now() - CRASH_WINDOW_MS;
    while (this.recentCrashes.length && this.recentCrashes[0] < since) this.recentCrashes.shift();
    return this.recentCrashes.length > CRASH_LIMIT;
  }

  /** Starts hosts for `plugin`; resolves when all are warm, or rejects and kills them. */
  async start(plugin: PreparedPlugin): Promise<Generation> {
    const generation: Generation = { id: ++this.generations, plugin, hosts: [] };
    for (let i = 0; i < this.options.count; i++) {
      generation.hosts.push(this.createHost(`h${i + 1}`, generation));
    }
    try {
      await Promise.all(generation.hosts.map((host) => host.start()));
    } catch (error) {
      generation.hosts.forEach((host) => host.kill());
      throw error;
    }

    const previous = this.current;
    this.current = generation;
    if (previous) this.retire(previous);
    this.startWatchdog();
    return generation;
  }

  /** A ready host of the current plugin with room for another tile, least loaded first. */
  pick(): AlgorithmHost | undefined {
    let best: AlgorithmHost | undefined;
    for (const host of this.current?.hosts ?? []) {
      if (host.state !== 'ready' || host.inFlight.size >= this.options.depth) continue;
      if (!best || host.inFlight.size < best.inFlight.size) best = host;
    }
    return best;
  }

  /** Marks the host busy from now, for the stall watchdog. */
  noteSent(host: AlgorithmHost): void {
    if (!this.progressAt.has(host)) this.progressAt.set(host, performance.now());
  }

  all(): AlgorithmHost[] {
    return [...(this.current?.hosts ?? []), ...this.retiring];
  }

  restartsOf(host: AlgorithmHost): number {
    return this.seatRestarts.get(host.id) ?? 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    await Promise.all(this.all().map((host) => host.close()));
  }

  private createHost(id: string, generation: Generation): AlgorithmHost {
    const o = this.options;
    const host = new AlgorithmHost({
      id,
      hostPath: o.hostPath,
      modulePath: generation.plugin.modulePath,
      slots: o.slots,
      slotSize: o.slotSize,
      memfd: o.memfd,
      deadlineMs: o.deadlineMs,
      memoryMb: o.memoryMb,
      logger: o.logger,
    });
    host.on('done', (message) => {
      if (host.inFlight.size === 0) this.progressAt.delete(host);
      else this.progressAt.set(host, performance.now());
      this.emit('done', host, generation, message);
    });
    host.on('exit', ({ code, signal, inFlight }) => {
      this.progressAt.delete(host);
      this.onExit(host, generation, code, signal, inFlight);
    });
    return host;
  }

  private onExit(
    host: AlgorithmHost,
    generation: Generation,
    code: number | null,
    signal: NodeJS.Signals | null,
    inFlight: number[],
  ): void {
    this.retiring.delete(host);
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.emit('lost', host, inFlight, `host ${host.id} ${how}`);
    if (host.state === 'stopped' || this.stopping || generation !== this.current) return;

    this.options.logger.warn('host-died', `host ${host.id} (pid ${host.pid}) ${how}`, {
      host: host.id,
      pid: host.pid,
      tilesHeld: inFlight.length,
      reason: host.fatal,
    });
    this.scheduleRestart(host, generation, performance.now());
  }

  /**
   * Rule: a host that had done work before it died comes back at once; one
   * that died without answering a tile backs off (50 ms, doubling to 1 s),
   * and more than five such deaths in 30 s is a crash loop: restarts slow to
   * one a second and status and log say so. Reason: a killed host is an
   * accident to repair fast; a host that cannot start is a bug that a tight
   * restart loop would only make louder.
   */
  private scheduleRestart(dead: AlgorithmHost, generation: Generation, diedAt: number): void {
    const healthy = dead.tiles > 0 || dead.killedOnPurpose;
    const streak = healthy ? 0 : (this.failStreak.get(dead.id) ?? 0) + 1;
    this.failStreak.set(dead.id, streak);

    const wasLooping = this.crashLoop;
    if (!healthy) this.recentCrashes.push(Date.now());
    if (this.crashLoop && !wasLooping) {
      this.options.logger.error(
        'crash-loop',
        `${this.recentCrashes.length} hosts died without doing work in ${CRASH_WINDOW_MS / 1000} s; restarting one a second`,
        { plugin: generation.plugin.name },
      );
    }

    const delay = this.crashLoop ? 1000 : streak === 0 ? 0 : Math.min(50 * 2 ** (streak - 1), 1000);
    setTimeout(() => void this.restart(dead, generation, diedAt), delay);
  }

  private async restart(
    dead: AlgorithmHost,
    generation: Generation,
    diedAt: number,
  ): Promise<void> {
    if (this.stopping || generation !== this.current) return;
    const replacement = this.createHost(dead.id, generation);
    replacement.recoveryFrom = diedAt;
    const index = generation.hosts.indexOf(dead);
    if (index >= 0) generation.hosts[index] = replacement;

    this.restarts++;
    this.seatRestarts.set(dead.id, (this.seatRestarts.get(dead.id) ?? 0) + 1);
    try {
      await replacement.start();
      this.restartLatency.record(performance.now() - diedAt);
      this.options.logger.info(
        'host-restarted',
        `host ${dead.id} is back as pid ${replacement.pid}`,
        {
          host: dead.id,
          pid: replacement.pid,
          fromCache: replacement.fromCache,
          loadUs: replacement.loadUs,
        },
      );
      this.emit('restart', replacement);
    } catch (error) {
      this.options.logger.error('host-restart-failed', (error as Error).message, { host: dead.id });
    }
  }

  /** Old hosts finish the tiles they hold (they read RUNs in order before EOF), then exit. */
  private retire(generation: Generation): void {
    for (const host of generation.hosts) {
      this.retiring.add(host);
      void host.close().then(() => this.retiring.delete(host));
    }
  }

  /**
   * Rule: a host that holds tiles and answers nothing for the deadline plus a
   * second is stalled; it is killed and its tiles retried. Reason: the epoch
   * deadline stops runaway plugin code, but not a host stuck outside Wasm.
   */
  private startWatchdog(): void {
    if (this.watchdog) return;
    const limit = this.options.deadlineMs + 1000;
    this.watchdog = setInterval(() => {
      const now = performance.now();
      for (const [host, since] of this.progressAt) {
        if (host.inFlight.size > 0 && now - since > limit && host.state === 'ready') {
          this.options.logger.warn(
            'host-stalled',
            `host ${host.id} silent for ${Math.round(now - since)} ms; killing it`,
            {
              host: host.id,
              pid: host.pid,
            },
          );
          this.progressAt.delete(host);
          host.kill();
        }
      }
    }, 100);
    this.watchdog.unref();
  }
}
