// The tile pipeline's control plane: which tile goes into which slot, to
// which host, and out to which file. Bytes never pass through here: the
// engine reads and writes slots, hosts transform them in place; this file
// moves slot numbers, counts, and decides retries and quarantine.

import path from 'node:path';

import type { AlgorithmHost, DoneMessage } from './algorithm-host.js';
import type { Generation, HostPool } from './host-pool.js';
import { trapName, type RunMessage } from './host-protocol.js';
import type { Logger } from './logger.js';
import { LatencyHistogram, RateCounter, WindowedHistogram } from './metrics.js';
import type { Engine, ReadRequest, ReadResult, TileFormat, WriteResult } from './native.js';
import { quarantineTile } from './quarantine.js';
import { CAUSES, type Cause, type Tile } from './tile.js';

export interface PipelineOptions {
  outDir: string;
  quarantineDir: string;
  slots: number;
  format: TileFormat;
  /** Attempts before a tile is quarantined. */
  maxAttempts: number;
  /** Tiles per engine batch. */
  batch: number;
}

export const STAGES = ['read', 'queue', 'execute', 'write', 'endToEnd'] as const;
export type StageName = (typeof STAGES)[number];

/** Read errors that say the tile itself is wrong: retrying cannot help. */
const BAD_TILE_CODES = new Set([
  'EMPTY',
  'BAD_HEADER',
  'BAD_MAXVAL',
  'TRUNCATED',
  'TOO_LONG',
  'TOO_LARGE',
  'GEOMETRY',
  'ENOENT',
  'EISDIR',
]);

export class Pipeline {
  readonly tiles = new Map<number, Tile>();
  fed = 0;
  written = 0;
  quarantined = 0;
  retries = 0;
  readonly errors = Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;
  readonly latency = Object.fromEntries(
    STAGES.map((s) => [s, new LatencyHistogram()]),
  ) as Record<StageName, LatencyHistogram>;
  readonly recent = Object.fromEntries(
    STAGES.map((s) => [s, new WindowedHistogram()]),
  ) as Record<StageName, WindowedHistogram>;
  readonly rateIn = new RateCounter();
  readonly rateOut = new RateCounter();

  private readonly intake: Tile[] = [];
  private readonly ready: Tile[] = [];
  private readonly processed: Tile[] = [];
  private readonly freeSlots: number[];
  private readonly byRun = new Map<number, Tile>();
  private readonly bySource = new Set<string>();
  private nextTileId = 1;
  private nextRunId = 1;
  private readsInFlight = 0;
  private writesInFlight = 0;
  private pumpScheduled = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly engine: Engine,
    private readonly pool: HostPool,
    private readonly options: PipelineOptions,
    private readonly logger: Logger,
  ) {
    this.freeSlots = Array.from({ length: options.slots }, (_, i) => options.slots - 1 - i);
    pool.on('done', (host, generation, message) => this.onDone(host, generation, message));
    pool.on('lost', (host, runIds, reason) => this.onLost(host, runIds, reason));
    pool.on('restart', () => this.schedulePump());
  }

  /** Takes tile files; a file already in the pipeline is not taken twice. */
  feed(files: string[]): { accepted: number; duplicates: number } {
    let accepted = 0;
    for (const file of files) {
      const source = path.resolve(file);
      if (this.bySource.has(source)) continue;
      const name = path.basename(source);
      const tile: Tile = {
        id: this.nextTileId++,
        source,
        name,
        outPath: path.join(this.options.outDir, name),
        attempt: 1,
        failures: [],
        stage: 'queued',
        slot: -1,
        runId: 0,
        fedAt: performance.now(),
        readAt: 0,
        readyAt: 0,
        executedAt: 0,
        writeAt: 0,
      };
      this.tiles.set(tile.id, tile);
      this.bySource.add(source);
      this.intake.push(tile);
      accepted++;
    }
    this.fed += accepted;
    this.rateIn.add(accepted);
    this.schedulePump();
    return { accepted, duplicates: files.length - accepted };
  }

  get inFlight(): number {
    return this.tiles.size;
  }

  /** Tiles waiting for a slot or for a host. */
  get backlog(): number {
    return this.intake.length + this.ready.length;
  }

  get freeSlotCount(): number {
    return this.freeSlots.length;
  }

  /** Resolves when every tile fed so far is written or quarantined. */
  drain(): Promise<void> {
    if (this.tiles.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    this.startReads();
    this.dispatch();
    this.startWrites();
  }

  // Reading: fill free slots from the intake, a batch at a time. When no slot
  // is free, reading waits: the slot pool is the bounded queue.
  private startReads(): void {
    while (this.readsInFlight < 2 && this.intake.length > 0 && this.freeSlots.length > 0) {
      const batch: Tile[] = [];
      while (batch.length < this.options.batch && this.intake.length && this.freeSlots.length) {
        const tile = this.intake.shift()!;
        tile.slot = this.freeSlots.pop()!;
        tile.stage = 'reading';
        tile.readAt = performance.now();
        batch.push(tile);
      }
      const requests: ReadRequest[] = batch.map((tile) => ({
        slot: tile.slot,
        path: tile.source,
        format: this.options.format,
      }));
      this.readsInFlight++;
      this.engine.read(requests).then(
        (results) => this.onRead(batch, results),
        (error: Error) => this.onRead(batch, batch.map((t) => engineFailure(t.slot, error))),
      );
    }
  }

  private onRead(batch: Tile[], results: ReadResult[]): void {
    this.readsInFlight--;
    const now = performance.now();
    batch.forEach((tile, i) => {
      const result = results[i];
      if (result.ok) {
        tile.geometry = result;
        tile.stage = 'ready';
        tile.readyAt = now;
        this.record('read', now - tile.readAt);
        this.ready.push(tile);
      } else {
        const cause: Cause = BAD_TILE_CODES.has(result.code) ? 'bad-input' : 'io';
        this.fail(tile, cause, result.message, cause === 'bad-input');
      }
    });
    this.schedulePump();
  }

  // Dispatch: hand ready tiles to hosts with room, one write per host.
  private dispatch(): void {
    const outgoing = new Map<AlgorithmHost, RunMessage[]>();
    while (this.ready.length > 0) {
      const host = this.pool.pick();
      if (!host) break;
      const tile = this.ready.shift()!;
      const run = this.runMessage(tile);
      const runs = outgoing.get(host) ?? [];
      runs.push(run);
      outgoing.set(host, runs);
      // Count it now so pick() sees the host fill up within this loop.
      host.inFlight.set(run.tileId, performance.now());
      this.pool.noteSent(host);

      tile.stage = 'executing';
      tile.host = host.id;
      tile.plugin = this.pool.current!.plugin.name;
      tile.executedAt = performance.now();
      this.record('queue', tile.executedAt - tile.readyAt);
    }
    for (const [host, runs] of outgoing) host.send(runs);
  }

  private runMessage(tile: Tile): RunMessage {
    const g = tile.geometry!;
    const position = tilePosition(tile.name);
    tile.runId = this.nextRunId++;
    this.byRun.set(tile.runId, tile);
    return {
      slot: tile.slot,
      tileId: tile.runId,
      offset: g.headerLength,
      length: g.length - g.headerLength,
      width: g.width,
      height: g.height,
      channels: g.channels,
      stride: g.width * g.channels,
      tileX: position.col * g.width,
      tileY: position.row * g.height,
      args: this.pool.current!.plugin.args,
    };
  }

  private onDone(host: AlgorithmHost, generation: Generation, message: DoneMessage): void {
    const tile = this.byRun.get(message.tileId);
    if (!tile || tile.runId !== message.tileId || tile.stage !== 'executing') return;
    this.byRun.delete(message.tileId);

    const now = performance.now();
    if (message.outcome === 'ok') {
      tile.stage = 'processed';
      tile.plugin = generation.plugin.name;
      this.record('execute', now - tile.executedAt);
      this.processed.push(tile);
    } else {
      const cause: Cause = message.outcome === 'bad-input' ? 'bad-input' : message.outcome;
      this.fail(tile, cause, describeOutcome(message), false, host.id, generation.plugin.name);
    }
    this.schedulePump();
  }

  private onLost(host: AlgorithmHost, runIds: number[], reason: string): void {
    for (const runId of runIds) {
      const tile = this.byRun.get(runId);
      if (!tile || tile.stage !== 'executing') continue;
      this.byRun.delete(runId);
      this.fail(tile, 'host-died', reason, false, host.id, tile.plugin);
    }
    this.schedulePump();
  }

  // Writing: processed tiles go out in batches, atomically (temp + rename).
  private startWrites(): void {
    while (this.writesInFlight < 2 && this.processed.length > 0) {
      const batch = this.processed.splice(0, this.options.batch);
      const now = performance.now();
      for (const tile of batch) {
        tile.stage = 'writing';
        tile.writeAt = now;
      }
      this.writesInFlight++;
      const requests = batch.map((t) => ({ slot: t.slot, path: t.outPath, length: t.geometry!.length }));
      this.engine.write(requests).then(
        (results) => this.onWritten(batch, results),
        (error: Error) => this.onWritten(batch, batch.map((t) => engineFailure(t.slot, error))),
      );
    }
  }

  private onWritten(batch: Tile[], results: WriteResult[]): void {
    this.writesInFlight--;
    const now = performance.now();
    let done = 0;
    batch.forEach((tile, i) => {
      const result = results[i];
      if (!result.ok) {
        this.fail(tile, 'io', result.message, false);
        return;
      }
      this.record('write', now - tile.writeAt);
      this.record('endToEnd', now - tile.readAt);
      this.finish(tile);
      this.written++;
      done++;
    });
    this.rateOut.add(done);
    this.schedulePump();
  }

  /** One attempt failed: retry from the file, or quarantine when attempts run out. */
  private fail(tile: Tile, cause: Cause, message: string, final: boolean, host?: string, plugin?: string) {
    this.errors[cause]++;
    tile.failures.push({
      attempt: tile.attempt,
      cause,
      message,
      host,
      plugin,
      at: new Date().toISOString(),
    });
    this.releaseSlot(tile);

    if (!final && tile.attempt < this.options.maxAttempts) {
      // Retried tiles go first: they have waited longest.
      tile.attempt++;
      tile.stage = 'queued';
      this.retries++;
      this.intake.unshift(tile);
      return;
    }

    this.finish(tile);
    this.quarantined++;
    this.logger.warn('tile-quarantined', `${tile.name}: ${cause}: ${message}`, {
      tile: tile.name,
      cause,
      attempts: tile.failures.length,
    });
    quarantineTile(this.options.quarantineDir, tile.source, tile.failures).catch((error: Error) =>
      this.logger.error('quarantine-failed', `could not record ${tile.name}: ${error.message}`, {
        tile: tile.name,
        dir: this.options.quarantineDir,
      }),
    );
  }

  private releaseSlot(tile: Tile): void {
    if (tile.slot >= 0) this.freeSlots.push(tile.slot);
    tile.slot = -1;
  }

  private finish(tile: Tile): void {
    this.releaseSlot(tile);
    this.tiles.delete(tile.id);
    this.bySource.delete(tile.source);
    if (this.tiles.size === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }

  private record(stage: StageName, ms: number): void {
    this.latency[stage].record(ms);
    this.recent[stage].record(ms);
  }
}

function engineFailure(slot: number, error: Error): { slot: number; ok: false; code: string; message: string } {
  return { slot, ok: false, code: (error as NodeJS.ErrnoException).code ?? 'EIO', message: error.message };
}

function describeOutcome(message: DoneMessage): string {
  switch (message.outcome) {
    case 'timeout':
      return `the plugin ran past its deadline (${Math.round(message.execUs / 1000)} ms)`;
    case 'memory':
      return `the plugin was refused memory (linear memory at ${message.memoryBytes} bytes)`;
    case 'trap':
      return `the plugin trapped: ${trapName(message.detail)}`;
    case 'plugin':
      return `the plugin returned error ${message.detail}`;
    case 'bad-input':
      return 'the host refused the tile description';
    default:
      return message.outcome;
  }
}

/** Tiles cut by `edgecam import` are named NAME_rROW_cCOL; others sit at 0,0. */
function tilePosition(name: string): { row: number; col: number } {
  const match = /_r(\d+)_c(\d+)\.[^.]+$/.exec(name);
  return match ? { row: Number(match[1]), col: Number(match[2]) } : { row: 0, col: 0 };
}
