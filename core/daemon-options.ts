// The daemon's options: every flag, its default, and how a bad value is told.

import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { EdgecamError, UsageError } from './errors.js';
import type { TileFormat } from './native.js';
import { defaultModuleCacheDir, defaultOutDir, defaultSocketPath } from './paths.js';

export interface DaemonOptions {
  inDir?: string;
  outDir: string;
  quarantineDir: string;
  plugin: string;
  args: number[];
  hosts: number;
  socket: string;
  slots: number;
  slotSize: number;
  deadlineMs: number;
  memoryMb: number;
  format: TileFormat;
  io: 'uring' | 'sync';
  batch: number;
  hostDepth: number;
  maxAttempts: number;
  cacheDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  http?: { host: string; port: number };
  listen?: { host: string; port: number };
  tokenFile?: string;
}

export const DAEMON_USAGE = `edgecam daemon [options]
  --in DIR            feed every tile in DIR at start
  --out DIR           where processed tiles go (default: ${defaultOutDir()})
  --quarantine DIR    where failed tiles and their records go (default: beside --out)
  --plugin NAME       plugin to start with (default: grayscale)
  --args A,B          the plugin's numeric arguments
  --hosts N           algorithm hosts (default: one per core)
  --socket PATH       control socket (default: ${defaultSocketPath()})
  --slots N           tiles in memory at once, the bounded queue (default: 64)
  --slot-size BYTES   largest tile file (default: 262144)
  --deadline-ms MS    time limit of one plugin call (default: 200)
  --memory-mb MB      linear memory limit of a plugin (default: 64)
  --raw WxHxC         tiles are raw bytes of this geometry, not PGM/PPM
  --io uring|sync     the file path: io_uring batches, or plain system calls
  --batch N           tiles per io_uring batch (default: 32)
  --host-depth N      tiles a host may hold at once, so it never waits for the daemon (default: 8)
  --max-attempts N    tries before a tile is quarantined (default: 5)
  --cache-dir DIR     compiled plugins (default: ${defaultModuleCacheDir()})
  --log-level LEVEL   debug, info, warn or error (default: info)
  --http [HOST:]PORT  serve /metrics (Prometheus) and /status (JSON); host 127.0.0.1 unless given
  --listen [HOST:]PORT  also take control connections on TCP (host 127.0.0.1 unless given);
                      needs a token: --token-file FILE or $EDGECAM_TOKEN (never on the command line)
  --token-file FILE   the TCP token, first line of FILE`;

export function parseDaemonOptions(argv: string[]): DaemonOptions {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        [
          'in',
          'out',
          'quarantine',
          'plugin',
          'args',
          'hosts',
          'socket',
          'slots',
          'slot-size',
          'deadline-ms',
          'memory-mb',
          'raw',
          'io',
          'batch',
          'host-depth',
          'max-attempts',
          'cache-dir',
          'log-level',
          'http',
          'listen',
          'token-file',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    if (argv.some((a) => a === '--token' || a.startsWith('--token='))) {
      throw new UsageError(
        '--token',
        'the token in a file (--token-file) or in $EDGECAM_TOKEN, since `ps` shows command lines',
        '--token',
      );
    }
    throw new EdgecamError(
      'USAGE',
      (error as Error).message,
      'edgecam daemon --help lists the options',
    );
  }

  const outDir = path.resolve(values.out ?? defaultOutDir());
  return {
    inDir: values.in ? path.resolve(values.in) : undefined,
    outDir,
    quarantineDir: path.resolve(values.quarantine ?? path.join(path.dirname(outDir), 'quarantine')),
    plugin: values.plugin ?? 'grayscale',
    args: values.args ? parseNumberList('--args', values.args) : [],
    hosts: integer('--hosts', values.hosts, os.availableParallelism(), 1, 64),
    socket: path.resolve(values.socket ?? defaultSocketPath()),
    slots: integer('--slots', values.slots, 64, 2, 4096),
    slotSize: integer('--slot-size', values['slot-size'], 262144, 4096, 64 << 20),
    deadlineMs: integer('--deadline-ms', values['deadline-ms'], 200, 1, 600_000),
    memoryMb: integer('--memory-mb', values['memory-mb'], 64, 1, 4096),
    format: values.raw ? parseRaw(values.raw) : 'pnm',
    io: oneOf('--io', values.io, ['uring', 'sync'] as const, 'uring'),
    batch: integer('--batch', values.batch, 32, 1, 1024),
    hostDepth: integer('--host-depth', values['host-depth'], 8, 1, 64),
    maxAttempts: integer('--max-attempts', values['max-attempts'], 5, 1, 100),
    cacheDir: path.resolve(values['cache-dir'] ?? defaultModuleCacheDir()),
    logLevel: oneOf(
      '--log-level',
      values['log-level'],
      ['debug', 'info', 'warn', 'error'] as const,
      'info',
    ),
    http: values.http ? parseAddress('--http', values.http) : undefined,
    listen: values.listen ? parseAddress('--listen', values.listen) : undefined,
    tokenFile: values['token-file'] ? path.resolve(values['token-file']) : undefined,
  };
}

/** PORT or HOST:PORT; the host is loopback unless one is given. Port 0 picks a free one. */
export function parseAddress(name: string, value: string): { host: string; port: number } {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new UsageError(name, '[HOST:]PORT, e.g. 127.0.0.1:7070', value);
  return { host: match[1] || '127.0.0.1', port };
}

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(name, `an integer in ${min}..${max}`, value);
  }
  return n;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(name, allowed.join(' or '), value);
  }
  return value as T;
}

export function parseNumberList(name: string, value: string): number[] {
  return value
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((word) => {
      const n = Number(word);
      if (!Number.isFinite(n)) throw new UsageError(name, 'numbers', word);
      return n;
    });
}

function parseRaw(value: string): TileFormat {
  const match = /^(\d+)x(\d+)x([13])$/.exec(value);
  if (!match)
    throw new UsageError(
      '--raw',
      'WIDTHxHEIGHTxCHANNELS with 1 or 3 channels, e.g. 256x256x3',
      value,
    );
  return {
    raw: { width: Number(match[1]), height: Number(match[2]), channels: Number(match[3]) as 1 | 3 },
  };
}
