// The tile pipeline's control plane: which tile goes into which slot, to
// which host, and out to which file. Bytes never pass through here: the
// engine reads and writes slots, hosts transform them in place; this file
// moves slot numbers, counts, and decides retries and quarantine.
//
// Recovery rests on three rules:
// - every attempt at a tile has a token; an answer for an older token is
//   stale and only gives its slot back;
// - a slot is reused only when no tile owns it and no read, write or host
//   call that touches it is outstanding (its holds count is zero);
// - every tile waiting on something outside the daemon has a deadline; a
//   tile past it is lost and retried. Hosts answer in order, so a DONE for
//   a later tile also proves an earlier one lost.

import fs from 'node:fs';
import path from 'node:path';

import type { AlgorithmHost, DoneMessage } from './algorithm-host.js';
import type { FaultInjector, FaultStage } from './faults.js';
import type { Generation, HostPool } from './host-pool.js';
import { trapName, type RunMessage } from './host-protocol.js';
import type { Logger } from './logger.js';
import { LatencyHistogram, RateCounter, WindowedHistogram } from './metrics.js';
import type { Engine, ReadRequest, ReadResult, TileFormat, WriteResult } from './native.js';
import { quarantineTile } from './quarantine.js';
import { CAUSES, type Cause, type Tile } from './tile.js';
import { TileQueue } from './tile-queue.js';

export interface PipelineOptions {
  outDir: string;
  quarantineDir: string;
  slots: number;
  format: TileFormat;
  /** Attempts before a tile is quarantined. */
  maxAttempts: number;
  /** Tiles per engine batch. */
  batch: number;
  /** The plugin call deadline; a host silent past it plus a second is stalled. */
  callDeadlineMs: number;
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

interface RunRecord {
  tile: Tile;
  token: number;
  slot: number;
  host: AlgorithmHost;
}

export class Pipeline {
  readonly tiles = new Map<number, Tile>();
  fed = 0;
  written = 0;
  quarantined = 0;
  retries = 0;
  skipped = 0;
  paused = false;
  readonly errors = Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;
  readonly latency = Object.fromEntries(STAGES.map((s) => [s, new LatencyHistogram()])) as Record<
    StageName,
    LatencyHistogram
  >;
  readonly recent = Object.fromEntries(STAGES.map((s) => [s, new WindowedHistogram()])) as Record<
    StageName,
    WindowedHistogram
  >;
  /** From a host's death to the first tile its replacement wrote. */
  readonly recovery = new LatencyHistogram();
  readonly rateIn = new RateCounter();
  readonly rateOut = new RateCounter();
  /** Tiles written, by the plugin that produced them (`name@sha256`). */
  readonly writtenBy = new Map<string, number>();

  private readonly intake = new TileQueue();
  private readonly deadlines = { read: { at: -Infinity, ms: 0 }, write: { at: -Infinity, ms: 0 } };
  private readonly ready: Tile[] = [];
  private readonly processed: Tile[] = [];
  private readonly freeSlots: number[];
  private readonly slotOwner: Int32Array;
  private readonly slotHolds: Int32Array;
  /** Runs sent to a host and not answered: each holds its slot. */
  private readonly runs = new Map<number, RunRecord>();
  /** Runs whose answer a drop fault took: they hold no slot, and wait to be noticed. */
  private readonly droppedRuns = new Map<number, RunRecord>();
  private readonly hostRuns = new Map<AlgorithmHost, number[]>();
  private readonly waiting = new Set<Tile>();
  private readonly bySource = new Set<string>();
  private readonly byOutput = new Map<string, string>();
  /** Sources deleted once their tile is written (quarantine copies being retried). */
  private readonly transient = new Set<string>();
  private readonly tokens = new Map<Tile, number>();
  private nextTileId = 1;
  private nextRunId = 1;
  private nextToken = 1;
  private readsInFlight = 0;
  private writesInFlight = 0;
  private pumpScheduled = false;
  private drainWaiters: Array<() => void> = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly engine: Engine,
    private readonly pool: HostPool,
    private readonly faults: FaultInjector,
    private readonly options: PipelineOptions,
    private readonly logger: Logger,
  ) {
    this.freeSlots = Array.from({ length: options.slots }, (_, i) => options.slots - 1 - i);
    this.slotOwner = new Int32Array(options.slots).fill(-1);
    this.slotHolds = new Int32Array(options.slots);
    pool.on('done', (host, generation, message) => this.onDone(host, generation, message));
    pool.on('lost', (host, runIds, reason) => this.onHostLost(host, runIds, reason));
    pool.on('restart', () => this.schedulePump());
    this.sweeper = setInterval(() => this.sweep(), 50);
    this.sweeper.unref();
  }

  /**
   * Takes tile files. A file already in the pipeline is not taken twice, and
   * (unless forced) neither is one whose output is already written and newer:
   * that is how a restarted daemon resumes without redoing work.
   */
  feed(
    files: string[],
    force = false,
  ): { accepted: number; duplicates: number; skipped: number; conflicts: string[] } {
    let accepted = 0;
    let skipped = 0;
    const conflicts: string[] = [];
    // One listing of the output folder, so only tiles with an output are stat-ed.
    const outputs = force ? new Set<string>() : listNames(this.options.outDir);
    for (const file of files) {
      const source = path.resolve(file);
      if (this.bySource.has(source)) continue;
      const name = path.basename(source);
      const outPath = path.join(this.options.outDir, name);
      // Outputs are named by file name: two inputs of one name would overwrite each other.
      const holder = this.byOutput.get(outPath);
      if (holder) {
        conflicts.push(`${source} (its output ${outPath} belongs to ${holder}, in flight)`);
        continue;
      }
      if (outputs.has(name) && isUpToDate(outPath, source)) {
        skipped++;
        continue;
      }
      const tile: Tile = {
        id: this.nextTileId++,
        source,
        name,
        outPath,
        attempt: 1,
        failures: [],
        stage: 'queued',
        slot: -1,
        runId: 0,
        deadlineAt: 0,
        fedAt: performance.now(),
        readAt: 0,
        readyAt: 0,
        executedAt: 0,
        writeAt: 0,
      };
      this.tiles.set(tile.id, tile);
      this.bySource.add(source);
      this.byOutput.set(outPath, source);
      this.intake.push(tile);
      accepted++;
    }
    this.fed += accepted;
    this.skipped += skipped;
    this.rateIn.add(accepted);
    this.schedulePump();
    return {
      accepted,
      duplicates: files.length - accepted - skipped - conflicts.length,
      skipped,
      conflicts,
    };
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

  removeWhenWritten(source: string): void {
    this.transient.add(path.resolve(source));
  }

  private removeFile(file: string): void {
    fs.promises
      .rm(file, { force: true })
      .catch((error: Error) =>
        this.logger.warn('file-left', `could not delete ${file}: ${error.message}`, { file }),
      );
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.schedulePump();
  }

  /** Resolves when every tile fed so far is written or quarantined. */
  drain(): Promise<void> {
    if (this.tiles.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    clearInterval(this.sweeper);
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
    while (!this.paused && this.readsInFlight < 2 && this.intake.length && this.freeSlots.length) {
      const batch: Array<{ tile: Tile; token: number; slot: number }> = [];
      const now = performance.now();
      const deadline = this.ioDeadline('read');
      while (batch.length < this.options.batch && this.intake.length && this.freeSlots.length) {
        const tile = this.intake.shift()!;
        this.takeSlot(tile);
        tile.stage = 'reading';
        tile.readAt = now;
        this.await(tile, deadline);
        this.slotHolds[tile.slot]++;
        batch.push({ tile, token: this.tokenOf(tile), slot: tile.slot });
      }
      const requests: ReadRequest[] = batch.map(({ tile }) => ({
        slot: tile.slot,
        path: tile.source,
        format: this.options.format,
      }));
      this.readsInFlight++;
      this.engine.read(requests).then(
        (results) => this.onRead(batch, results),
        (error: Error) =>
          this.onRead(
            batch,
            batch.map((b) => engineFailure(b.slot, error)),
          ),
      );
    }
  }

  private onRead(
    batch: Array<{ tile: Tile; token: number; slot: number }>,
    results: ReadResult[],
  ): void {
    this.readsInFlight--;
    batch.forEach(({ tile, token, slot }, i) => {
      this.unhold(slot);
      if (this.tokenOf(tile) !== token) return;
      const result = results[i];
      if (!result.ok) {
        const cause: Cause = BAD_TILE_CODES.has(result.code) ? 'bad-input' : 'io';
        this.fail(tile, cause, result.message, cause === 'bad-input');
        return;
      }
      if (this.faults.shouldDrop('read', tile)) return; // the deadline will notice
      tile.geometry = result;
      this.after('read', tile, token, () => {
        const now = performance.now();
        this.record('read', now - tile.readAt);
        tile.stage = 'ready';
        tile.readyAt = now;
        this.after('queue', tile, token, () => this.ready.push(tile));
      });
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
      const run = this.runMessage(tile, host);
      const runs = outgoing.get(host) ?? [];
      runs.push(run);
      outgoing.set(host, runs);
      // Count it now so pick() sees the host fill up within this loop.
      host.inFlight.set(run.tileId, performance.now());
      this.pool.noteSent(host);

      tile.stage = 'executing';
      tile.host = host.id;
      tile.hostRef = host;
      tile.executedAt = performance.now();
      // A host runs its tiles in order, so this one may wait for those ahead of it; and
      // the deadline falls after the host watchdog's (call deadline + 1 s), which
      // catches a stalled host first.
      this.await(tile, host.inFlight.size * this.options.callDeadlineMs + 2000);
      this.record('queue', tile.executedAt - tile.readyAt);
    }
    for (const [host, runs] of outgoing) host.send(runs);
  }

  private runMessage(tile: Tile, host: AlgorithmHost): RunMessage {
    const g = tile.geometry!;
    const position = tilePosition(tile.name);
    const plugin = this.pool.current!.plugin;
    tile.runId = this.nextRunId++;
    tile.plugin = `${plugin.name}@${plugin.sha256.slice(0, 12)}`;
    this.runs.set(tile.runId, { tile, token: this.tokenOf(tile), slot: tile.slot, host });
    this.slotHolds[tile.slot]++;
    const order = this.hostRuns.get(host) ?? [];
    order.push(tile.runId);
    this.hostRuns.set(host, order);
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
      args: plugin.args,
    };
  }

  private onDone(host: AlgorithmHost, generation: Generation, message: DoneMessage): void {
    const run = this.runs.get(message.tileId);
    if (!run) return;
    // The host has let go of the slot, whatever becomes of the answer.
    this.runs.delete(message.tileId);
    this.unhold(run.slot);

    const { tile, token } = run;
    const current = this.tokenOf(tile) === token && tile.stage === 'executing';
    const dropped = current && message.outcome === 'ok' && this.faults.shouldDrop('execute', tile);
    if (dropped) this.droppedRuns.set(message.tileId, run);
    this.noticeGaps(host, message.tileId, dropped);
    if (!current || dropped) return this.schedulePump();

    if (message.outcome !== 'ok') {
      const plugin = `${generation.plugin.name}@${generation.plugin.sha256.slice(0, 12)}`;
      // Refused parameters or a refused tile description fail the same way every time.
      const final =
        message.outcome === 'bad-input' || (message.outcome === 'plugin' && message.detail === 1);
      this.fail(tile, message.outcome, describeOutcome(message), final, host.id, plugin);
    } else {
      this.after('execute', tile, token, () => {
        this.record('execute', performance.now() - tile.executedAt);
        tile.stage = 'processed';
        this.processed.push(tile);
      });
    }
    this.schedulePump();
  }

  /**
   * Hosts answer in order, so when run `runId` is answered, every run sent to
   * the same host before it and not answered (or whose answer was dropped) is
   * lost. A dropped answer stays in line so that the next answer reveals it.
   */
  private noticeGaps(host: AlgorithmHost, runId: number, keep: boolean): void {
    const order = this.hostRuns.get(host);
    if (!order) return;
    while (order.length && order[0] !== runId) {
      const earlier = order.shift()!;
      const run = this.runs.get(earlier) ?? this.droppedRuns.get(earlier);
      this.droppedRuns.delete(earlier);
      if (run && this.tokenOf(run.tile) === run.token && run.tile.stage === 'executing') {
        const reason = `no answer from host ${host.id}; a later tile was answered`;
        this.fail(run.tile, 'lost', reason, false, host.id, run.tile.plugin);
      }
    }
    if (!keep && order[0] === runId) order.shift();
  }

  private onHostLost(host: AlgorithmHost, _runIds: number[], reason: string): void {
    for (const runId of this.hostRuns.get(host) ?? []) {
      const held = this.runs.get(runId);
      if (held) this.unhold(held.slot); // a dead host touches no slot
      const run = held ?? this.droppedRuns.get(runId);
      this.runs.delete(runId);
      this.droppedRuns.delete(runId);
      if (run && this.tokenOf(run.tile) === run.token && run.tile.stage === 'executing') {
        this.fail(run.tile, 'host-died', reason, false, host.id, run.tile.plugin);
      }
    }
    this.hostRuns.delete(host);
    this.schedulePump();
  }

  // Writing: processed tiles go out in batches, atomically (temp + rename).
  private startWrites(): void {
    while (this.writesInFlight < 2 && this.processed.length > 0) {
      const now = performance.now();
      const deadline = this.ioDeadline('write');
      const batch = this.processed.splice(0, this.options.batch).map((tile) => {
        tile.stage = 'writing';
        tile.writeAt = now;
        this.await(tile, deadline);
        this.slotHolds[tile.slot]++;
        return { tile, token: this.tokenOf(tile), slot: tile.slot };
      });
      this.writesInFlight++;
      const requests = batch.map(({ tile }) => ({
        slot: tile.slot,
        path: tile.outPath,
        length: tile.geometry!.length,
      }));
      this.engine.write(requests).then(
        (results) => this.onWritten(batch, results),
        (error: Error) =>
          this.onWritten(
            batch,
            batch.map((b) => engineFailure(b.slot, error)),
          ),
      );
    }
  }

  private onWritten(
    batch: Array<{ tile: Tile; token: number; slot: number }>,
    results: WriteResult[],
  ): void {
    this.writesInFlight--;
    let done = 0;
    batch.forEach(({ tile, token, slot }, i) => {
      this.unhold(slot);
      const result = results[i];
      // The file is there even if its answer comes too late or is dropped;
      // and it must go if the tile was quarantined meanwhile.
      if (result.ok) tile.wroteOutput = true;
      if (result.ok && tile.quarantined) this.removeFile(tile.outPath);
      if (this.tokenOf(tile) !== token) return;
      if (!result.ok) {
        this.fail(tile, 'io', result.message, false);
        return;
      }
      if (this.faults.shouldDrop('write', tile)) return;
      const now = performance.now();
      this.record('write', now - tile.writeAt);
      this.record('endToEnd', now - tile.readAt);
      this.writtenBy.set(tile.plugin!, (this.writtenBy.get(tile.plugin!) ?? 0) + 1);
      const host = tile.hostRef;
      if (host?.recoveryFrom !== undefined) {
        this.recovery.record(now - host.recoveryFrom);
        host.recoveryFrom = undefined;
      }
      this.finish(tile);
      this.written++;
      done++;
      if (this.transient.delete(tile.source)) this.removeFile(tile.source);
    });
    this.rateOut.add(done);
    this.schedulePump();
  }

  /** One attempt failed: retry from the file, or quarantine when attempts run out. */
  private fail(
    tile: Tile,
    cause: Cause,
    message: string,
    final: boolean,
    host?: string,
    plugin?: string,
  ) {
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
    this.waiting.delete(tile);
    this.tokens.set(tile, this.nextToken++);

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
    tile.quarantined = true;
    // Rule: a tile is written or quarantined, never both. Reason: an earlier
    // attempt may have written the output before its answer was lost; left
    // there, the folder would disagree with the counts, and a restart would
    // skip the tile as done.
    if (tile.wroteOutput) this.removeFile(tile.outPath);
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

  /** Tiles past their deadline are lost; they are retried like any failure. */
  private sweep(): void {
    const now = performance.now();
    for (const tile of this.waiting) {
      if (tile.deadlineAt > 0 && now > tile.deadlineAt) {
        const waited = Math.round(
          now -
            (tile.stage === 'reading'
              ? tile.readAt
              : tile.stage === 'writing'
                ? tile.writeAt
                : tile.executedAt),
        );
        this.fail(
          tile,
          'lost',
          `no answer while ${tile.stage} for ${waited} ms`,
          false,
          tile.host,
          tile.plugin,
        );
      }
    }
    if (this.waiting.size === 0 && this.intake.length) this.schedulePump();
  }

  /**
   * A deadline for reads and writes: ten times the recent p99, within
   * 250 ms..5 s, worked out at most every 100 ms (merging the window's
   * histograms for every batch showed in profiles).
   */
  private ioDeadline(stage: 'read' | 'write'): number {
    const now = performance.now();
    const cached = this.deadlines[stage];
    if (now - cached.at < 100) return cached.ms;
    const p99 = this.recent[stage].snapshot().quantile(0.99);
    this.deadlines[stage] = { at: now, ms: Math.min(5000, Math.max(250, 10 * p99)) };
    return this.deadlines[stage].ms;
  }

  private await(tile: Tile, ms: number): void {
    tile.deadlineAt = performance.now() + ms;
    this.waiting.add(tile);
  }

  /** Runs `next` after any delay fault at this stage, unless the attempt has moved on. */
  private after(stage: FaultStage, tile: Tile, token: number, next: () => void): void {
    this.waiting.delete(tile);
    tile.deadlineAt = 0;
    const delay = this.faults.delayFor(stage, tile);
    if (delay <= 0) return next();
    setTimeout(() => {
      if (this.tokenOf(tile) !== token) return;
      next();
      this.schedulePump();
    }, delay);
  }

  private tokenOf(tile: Tile): number {
    let token = this.tokens.get(tile);
    if (token === undefined) {
      token = this.nextToken++;
      this.tokens.set(tile, token);
    }
    return token;
  }

  private takeSlot(tile: Tile): void {
    tile.slot = this.freeSlots.pop()!;
    this.slotOwner[tile.slot] = tile.id;
  }

  private releaseSlot(tile: Tile): void {
    if (tile.slot < 0) return;
    const slot = tile.slot;
    this.slotOwner[slot] = -1;
    tile.slot = -1;
    if (this.slotHolds[slot] === 0) this.freeSlots.push(slot);
  }

  private unhold(slot: number): void {
    this.slotHolds[slot]--;
    if (this.slotHolds[slot] === 0 && this.slotOwner[slot] === -1) this.freeSlots.push(slot);
  }

  private finish(tile: Tile): void {
    this.releaseSlot(tile);
    this.waiting.delete(tile);
    this.tokens.delete(tile);
    this.tiles.delete(tile.id);
    this.bySource.delete(tile.source);
    this.byOutput.delete(tile.outPath);
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

function listNames(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return new Set();
  }
}

function isUpToDate(outPath: string, source: string): boolean {
  try {
    return fs.statSync(outPath).mtimeMs >= fs.statSync(source).mtimeMs;
  } catch {
    return false;
  }
}

function engineFailure(
  slot: number,
  error: Error,
): { slot: number; ok: false; code: string; message: string } {
  return {
    slot,
    ok: false,
    code: (error as NodeJS.ErrnoException).code ?? 'EIO',
    message: error.message,
  };
}

/** The return codes of algos/edgecam_plugin.h. */
const PLUGIN_ERRORS: Record<number, string> = {
  1: 'EDGECAM_ERR_PARAMS (it refuses this geometry or these arguments)',
  2: 'EDGECAM_ERR_NOMEM (an allocation was refused)',
  3: 'EDGECAM_ERR_DENIED (a resource, such as a file, was refused)',
};

function describeOutcome(message: DoneMessage): string {
  switch (message.outcome) {
    case 'timeout':
      return `the plugin ran past its deadline (${Math.round(message.execUs / 1000)} ms)`;
    case 'memory':
      return `the plugin was refused memory (linear memory at ${message.memoryBytes} bytes)`;
    case 'trap':
      return message.detail < 0
        ? 'the plugin exited'
        : `the plugin trapped: ${trapName(message.detail)}`;
    case 'plugin':
      return `the plugin returned ${PLUGIN_ERRORS[message.detail] ?? `its own error ${message.detail}`}`;
    case 'bad-input':
      return `the host refused the tile description (detail ${message.detail})`;
    default:
      return message.outcome;
  }
}

/** Tiles cut by `edgecam import` are named NAME_rROW_cCOL; others sit at 0,0. */
function tilePosition(name: string): { row: number; col: number } {
  const match = /_r(\d+)_c(\d+)\.[^.]+$/.exec(name);
  return match ? { row: Number(match[1]), col: Number(match[2]) } : { row: 0, col: 0 };
}
