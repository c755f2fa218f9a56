// Runs tiles through the real algorithm host (build/host/edgecam-host) without the daemon: the
// plugin is compiled with --compile into a temporary cache, the tile is written into a slot of a
// temporary pool file, and RUN/DONE travel on the host's fd 3 as they do in the daemon.
// Build the host first: bash native/host/build.sh.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  MSG_SIZE,
  MessageReader,
  encodeRun,
  type HostMessage,
  type Outcome,
} from '../../core/host-protocol.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOST_PATH = path.join(REPO_ROOT, 'build/host/edgecam-host');

export interface RunTileOptions {
  plugin: string /* .wasm path */;
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
  args?: number[];
  deadlineMs?: number;
  memoryMb?: number;
}

export interface RunTileResult {
  outcome: Outcome;
  detail: number;
  pixels: Buffer;
  execUs: number;
  memoryBytes: number;
  renewals: number;
}

export interface TileInput {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
  args?: number[];
}

export interface PluginOptions {
  plugin: string;
  deadlineMs?: number;
  memoryMb?: number;
}

/** What --compile printed when it refused a plugin: its JSON line, as an Error. */
export class HostCompileError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${code}: ${message} (${hint})`);
    this.name = 'HostCompileError';
  }
}

/** The host ended (or said FATAL) while a test still expected answers from it. */
export class HostExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostExitedError';
  }
}

export type ReadyMessage = Extract<HostMessage, { type: 'ready' }>;
export type DoneMessage = Extract<HostMessage, { type: 'done' }>;

/** True when the host binary exists; tests that need it skip with a note otherwise. */
export function hostIsBuilt(): boolean {
  return fs.existsSync(HOST_PATH);
}

let scratchDir: string | undefined;

/** One temporary directory per test process, removed when the process exits. */
export function scratch(): string {
  if (scratchDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-host-test-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    scratchDir = dir;
  }
  return scratchDir;
}

/** Runs the host with arguments and returns its exit code and output (no fd 3). */
export function runHostCommand(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(HOST_PATH, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Compiles a plugin with --compile into the scratch cache, once per content and memory limit,
 * and returns the .cwasm path. Throws HostCompileError with the host's code when it refuses.
 */
export function compilePlugin(wasmPath: string, memoryMb = 64): string {
  const digest = createHash('sha256').update(fs.readFileSync(wasmPath)).digest('hex');
  const out = path.join(scratch(), `${digest.slice(0, 16)}-${memoryMb}.cwasm`);
  if (fs.existsSync(out)) return out;

  const run = runHostCommand([
    '--compile',
    wasmPath,
    '--out',
    out,
    '--memory-mb',
    String(memoryMb),
  ]);
  if (run.status !== 0) {
    const line = run.stderr.trim().split('\n').pop() ?? '';
    let parsed: { code?: string; message?: string; hint?: string } = {};
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = { code: 'UNKNOWN', message: run.stderr.trim() || `exit status ${run.status}` };
    }
    throw new HostCompileError(parsed.code ?? 'UNKNOWN', parsed.message ?? '', parsed.hint ?? '');
  }
  return out;
}

export interface HostSessionOptions {
  module: string; // .cwasm (or .wasm, compiled by the host itself)
  slots: number;
  slotSize: number;
  deadlineMs?: number;
  memoryMb?: number;
  /** Size of the pool file; slots * slotSize unless a test wants a wrong one. */
  poolBytes?: number;
}

/**
 * One live host in serve mode with its own pool file. Messages are answered in order, so
 * `run()` calls may overlap; each resolves with its own DONE.
 */
export class HostSession {
  readonly child: ChildProcess;
  readonly ready: Promise<ReadyMessage>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  fatal?: string;

  private readonly channel: Socket;
  private readonly poolPath: string;
  private readonly poolFd: number;
  private readonly reader = new MessageReader();
  private readonly waiting: Array<{
    resolve: (done: DoneMessage) => void;
    reject: (error: Error) => void;
  }> = [];
  private nextTileId = 1;
  private ended = false;

  constructor(readonly options: HostSessionOptions) {
    this.poolPath = fs.mkdtempSync(path.join(scratch(), 'pool-')) + '/slots';
    this.poolFd = fs.openSync(this.poolPath, 'w+');
    fs.ftruncateSync(this.poolFd, options.poolBytes ?? options.slots * options.slotSize);

    const args = ['--module', options.module, '--slots', String(options.slots)];
    args.push('--slot-size', String(options.slotSize), '--host-id', 'test');
    if (options.deadlineMs !== undefined) args.push('--deadline-ms', String(options.deadlineMs));
    if (options.memoryMb !== undefined) args.push('--memory-mb', String(options.memoryMb));
    this.child = spawn(HOST_PATH, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', this.poolFd] });
    this.channel = this.child.stdio[3] as Socket;
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));

    let readyResolve!: (ready: ReadyMessage) => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    // A test that never awaits `ready` must not see an unhandled rejection.
    this.ready.catch(() => undefined);

    this.channel.on('data', (chunk: Buffer) => {
      for (const message of this.reader.push(chunk)) {
        if (message.type === 'ready') readyResolve(message);
        else if (message.type === 'done') this.waiting.shift()?.resolve(message);
        else this.fatal = message.text;
      }
    });
    this.channel.on('error', () => undefined);

    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.ended = true;
        const why = `host exited (code ${code}, signal ${signal})${
          this.fatal ? `: FATAL ${this.fatal}` : ''
        } ${this.stderr.trim()}`;
        readyReject(new HostExitedError(why));
        for (const waiter of this.waiting.splice(0)) waiter.reject(new HostExitedError(why));
        resolve({ code, signal });
      });
    });
  }

  /** Writes bytes into a slot of the pool, at `offset`. */
  writeSlot(slot: number, bytes: Buffer, offset = 0): void {
    fs.writeSync(this.poolFd, bytes, 0, bytes.length, slot * this.options.slotSize + offset);
  }

  /** Reads `length` bytes of a slot of the pool, from `offset`. */
  readSlot(slot: number, length: number, offset = 0): Buffer {
    const bytes = Buffer.alloc(length);
    fs.readSync(this.poolFd, bytes, 0, length, slot * this.options.slotSize + offset);
    return bytes;
  }

  /** Sends raw bytes on fd 3 (for malformed or split messages) and expects `answers` DONEs. */
  sendRaw(bytes: Buffer, answers = Math.floor(bytes.length / MSG_SIZE)): Promise<DoneMessage>[] {
    const promises = Array.from({ length: answers }, () => this.expectDone());
    this.channel.write(bytes);
    return promises;
  }

  /** Sends one RUN for a tile already in `slot` and resolves with its DONE. */
  run(tile: Omit<TileInput, 'pixels'> & { slot: number; length: number; offset?: number }) {
    const message = Buffer.alloc(MSG_SIZE);
    encodeRun(
      {
        slot: tile.slot,
        tileId: this.nextTileId++,
        offset: tile.offset ?? 0,
        length: tile.length,
        width: tile.width,
        height: tile.height,
        channels: tile.channels,
        stride: tile.width * tile.channels,
        tileX: 0,
        tileY: 0,
        args: tile.args ?? [],
      },
      message,
      0,
    );
    return this.sendRaw(message, 1)[0];
  }

  /** Closes fd 3 (end of stream) and waits for the host to exit; removes the pool. */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.channel.end();
    const result = await this.exited;
    this.dispose();
    return result;
  }

  /** Kills the host if it still runs and removes the pool. */
  async kill(): Promise<void> {
    if (!this.ended) this.child.kill('SIGKILL');
    await this.exited;
    this.dispose();
  }

  private expectDone(): Promise<DoneMessage> {
    if (this.ended) return Promise.reject(new HostExitedError('host already exited'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private dispose(): void {
    try {
      fs.closeSync(this.poolFd);
    } catch {
      // Already closed by an earlier close() or kill(): nothing left to release.
    }
    fs.rmSync(path.dirname(this.poolPath), { recursive: true, force: true });
  }
}

function tileBytes(tile: TileInput): number {
  const expected = tile.width * tile.height * tile.channels;
  if (tile.pixels.length !== expected) {
    throw new RangeError(
      `expected ${expected} pixel bytes for a ${tile.width}x${tile.height}x${tile.channels} ` +
        `tile, received ${tile.pixels.length}`,
    );
  }
  return expected;
}

/** Runs tiles in order through one host process (one slot, reused) and returns each result. */
export async function runTiles(opts: PluginOptions, tiles: TileInput[]): Promise<RunTileResult[]> {
  const slotSize = Math.max(1, ...tiles.map(tileBytes));
  const session = new HostSession({
    module: compilePlugin(opts.plugin, opts.memoryMb ?? 64),
    slots: 1,
    slotSize,
    deadlineMs: opts.deadlineMs,
    memoryMb: opts.memoryMb,
  });
  const results: RunTileResult[] = [];
  try {
    await session.ready;
    for (const tile of tiles) {
      session.writeSlot(0, tile.pixels);
      const done = await session.run({ ...tile, slot: 0, length: tile.pixels.length });
      results.push({
        outcome: done.outcome,
        detail: done.detail,
        pixels: session.readSlot(0, tile.pixels.length),
        execUs: done.execUs,
        memoryBytes: done.memoryBytes,
        renewals: done.renewals,
      });
    }
  } catch (error) {
    await session.kill();
    throw error;
  }
  await session.close();
  return results;
}

/** Runs one tile through a fresh host process. */
export async function runTile(opts: RunTileOptions): Promise<RunTileResult> {
  const [result] = await runTiles(opts, [opts]);
  return result;
}
