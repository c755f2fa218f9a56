// Typed loader of the native data plane, build/addon/Release/edgecam_native.node
// (native/addon/): the engine that reads tiles into a shared slot pool with
// io_uring and writes them out atomically. Loaded lazily: commands that never
// touch tiles start without it, and a missing build says how to make it.

import fs from 'node:fs';
import { createRequire } from 'node:module';

import { SetupError } from './errors.js';
import { ADDON_PATH } from './paths.js';

export interface EngineOptions {
  /** Number of slots in the pool, 1..16384 (e.g. 64). */
  slots: number;
  /** Bytes per slot (e.g. 262144); a whole tile file must fit in one. */
  slotSize: number;
  /** 'uring' (default), or 'sync': plain system calls on the same I/O thread. */
  io?: 'uring' | 'sync';
  /** SQ entries, 4..32768; default 256. At most queueDepth/2 - 1 tiles are in flight. */
  queueDepth?: number;
  /** Register each slot as a fixed buffer; default true. A refusal shows in info(). */
  registerBuffers?: boolean;
  /** Cap on bounded io-wq workers; default 1, 0 keeps the kernel's cap. */
  iowqMaxWorkers?: number;
}

export type TileFormat = 'pnm' | { raw: { width: number; height: number; channels: 1 | 3 } };

export interface ReadRequest {
  slot: number;
  path: string;
  /** Default 'pnm': binary PGM (P5) or PPM (P6), geometry from the header. */
  format?: TileFormat;
}

/** Codes of a tile that is not what it should be; anything else is an errno name. */
export type TileFormatCode =
  'EMPTY' | 'BAD_HEADER' | 'BAD_MAXVAL' | 'TRUNCATED' | 'TOO_LONG' | 'TOO_LARGE';

export interface TileFailure {
  slot: number;
  ok: false;
  /** A TileFormatCode, or the errno name of the call that failed ('ENOENT', 'ENOSPC'...). */
  code: string;
  errno?: number;
  /** Names the file and the call, and says what was expected or what to do. */
  message: string;
}

export type ReadResult =
  | {
      slot: number;
      ok: true;
      /** Bytes of the file: headerLength + width * height * channels. */
      length: number;
      headerLength: number;
      width: number;
      height: number;
      channels: 1 | 3;
      kind: 'pgm' | 'ppm' | 'raw';
    }
  | TileFailure;

export interface WriteRequest {
  slot: number;
  /** Final name; the bytes go to .NAME.edgecam-tmp beside it, then are renamed. */
  path: string;
  /** Bytes from the start of the slot, 1..slotSize. */
  length: number;
}

export type WriteResult = { slot: number; ok: true } | TileFailure;

export interface EngineStats {
  /** Batches taken by the I/O thread. */
  batches: number;
  /** SQEs handed to the kernel (0 for io 'sync'). */
  submissions: number;
  /** io_uring_enter(2) calls (0 for io 'sync'). */
  enters: number;
  /** CQEs reaped (0 for io 'sync'). */
  completions: number;
  tilesRead: number;
  tilesWritten: number;
  /** Bytes returned by reads, of every tile, valid or not. */
  bytesRead: number;
  bytesWritten: number;
  /** Reads that left a tile incomplete, so another read followed (FIFOs). */
  shortReads: number;
  shortWrites: number;
  /** Tiles that failed, read or write. */
  errors: number;
}

export interface EngineInfo {
  io: 'uring' | 'sync';
  registeredBuffers: boolean;
  /** What the kernel accepted: SINGLE_ISSUER, DEFER_TASKRUN, FIXED_BUFFERS... */
  flags: string[];
  slots: number;
  slotSize: number;
  /** Why buffer registration was refused (e.g. ENOMEM under RLIMIT_MEMLOCK). */
  buffersRefused?: string;
}

/**
 * One slot pool and the I/O thread that fills and drains it. Bad requests
 * throw a TypeError with code INVALID_ARGUMENT; a tile that fails does not
 * fail its batch but gets { ok: false, code, message } in its place.
 */
export interface Engine {
  /** The pool's memfd, to give a host as its fd 4 (stdio: [..., engine.memfd]); -1 once closed. */
  readonly memfd: number;
  /** One result per request, same order. Tiles for a slot busy in an earlier batch wait for it. */
  read(batch: ReadRequest[]): Promise<ReadResult[]>;
  write(batch: WriteRequest[]): Promise<WriteResult[]>;
  stats(): EngineStats;
  info(): EngineInfo;
  /** Cancels what is in flight, rejects unfinished batches (ENGINE_CLOSED), joins the thread. */
  close(): void;
}

export interface UringProbe {
  ok: boolean;
  errno?: number;
  /** What works, or why io_uring cannot be used here and what to do. */
  message: string;
}

export interface NativeAddon {
  Engine: new (options: EngineOptions) => Engine;
  probeUring(): UringProbe;
}

let addon: NativeAddon | undefined;

/** Loads the addon once; throws a SetupError naming `npm run setup` if it is not built. */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  if (!fs.existsSync(ADDON_PATH)) {
    throw new SetupError(
      `the io_uring addon is not built (${ADDON_PATH} is missing); build it with \`npm run setup\``,
      'npm run setup',
    );
  }
  addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  return addon;
}

/** Whether this process can use io_uring as the engine does (for doctor). */
export function probeUring(): UringProbe {
  return loadNative().probeUring();
}
