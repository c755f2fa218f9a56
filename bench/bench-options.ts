// The benchmark's options: how many tiles, rounds and samples, which folders, and the tiny mode
// that `npm test` runs. Every bad value is told with what was expected.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { REPO_ROOT } from './daemon-session.js';
import { METHOD_IDS, type MethodId } from './methods.js';
import { TILE_SIZES, type TileSize } from './tile-sets.js';

export interface BenchOptions {
  tiny: boolean;
  rounds: number;
  /** Tiles per set, by size name. */
  tiles: Record<string, number>;
  /** Tiles in the traced (strace) pass, per size. */
  sampleTiles: number;
  sizes: TileSize[];
  methods: MethodId[];
  /** Where the tile sets and outputs live. */
  dir: string;
  /** Where bench.json, bench.md and the chart go. */
  resultsDir: string;
  keepTiles: boolean;
  strace: boolean;
  recovery: boolean;
  profile: boolean;
  kills: number;
  swaps: number;
  roundTrips: number;
  execRuns: number;
}

export const BENCH_USAGE = `npm run bench -- [options]      (or: node dist/bench/run.js [options])
  --tiny            a few hundred tiles, one round: proves the benchmark works (npm test runs it)
  --rounds N        rounds of every method on every tile set (default 5)
  --scale F         multiply the number of tiles per set (default 1: 64000, 32000, 10000)
  --sizes LIST      tile sets to run, of 16k,64k,192k (default all)
  --methods LIST    of ${METHOD_IDS.join(',')} (default all)
  --dir DIR         tile sets and outputs (default /dev/shm/edgecam-bench, a tmpfs)
  --results DIR     where the report goes (default bench/results; build/bench/results-tiny
                    with --tiny)
  --keep-tiles      reuse tile sets already generated and keep them afterwards
  --no-strace       skip the traced pass that counts system calls
  --no-recovery     skip kill-algo, hot swap and round-trip measurements
  --no-profile      skip the perf profile of EdgeCam on 64k tiles (made when perf is installed;
                    never in --tiny mode)`;

/** Tiles per set at scale 1: 1-2 GB each; 1-1.5 s for the C reference, 7 s for the slowest. */
const FULL_TILES: Record<string, number> = { '16k': 64_000, '64k': 32_000, '192k': 10_000 };
const TINY_TILES: Record<string, number> = { '16k': 300, '64k': 300, '192k': 200 };

export class BenchUsageError extends Error {
  readonly code = 'USAGE';
  constructor(parameter: string, expected: string, received: string | undefined) {
    super(`Expected ${expected} for ${parameter} but received '${received ?? ''}'\n${BENCH_USAGE}`);
    this.name = 'BenchUsageError';
  }
}

function listOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]) {
  if (value === undefined) return [...allowed];
  const items = value.split(',').filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new BenchUsageError(name, `a comma-separated list of ${allowed.join(', ')}`, item);
    }
  }
  return allowed.filter((a) => items.includes(a));
}

function positive(name: string, value: string | undefined, fallback: number, integer: boolean) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new BenchUsageError(name, integer ? 'a whole number above 0' : 'a number above 0', value);
  }
  return n;
}

/** /dev/shm when it is a tmpfs (tiles then live in the page cache by construction). */
function defaultDir(): string {
  try {
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm/edgecam-bench';
  } catch {
    // no /dev/shm: fall through
  }
  return path.join(REPO_ROOT, 'build', 'bench', 'tiles');
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        tiny: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        scale: { type: 'string' },
        sizes: { type: 'string' },
        methods: { type: 'string' },
        dir: { type: 'string' },
        results: { type: 'string' },
        'keep-tiles': { type: 'boolean', default: false },
        'no-strace': { type: 'boolean', default: false },
        'no-recovery': { type: 'boolean', default: false },
        'no-profile': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    const message = (error as Error).message;
    const given = /'(-[^']*)'/.exec(message)?.[1] ?? message;
    throw new BenchUsageError('an option', 'one of the options below', given);
  }
  if (values.help) {
    console.log(BENCH_USAGE);
    process.exit(0);
  }

  const tiny = values.tiny ?? false;
  const scale = positive('--scale', values.scale, 1, false);
  const base = tiny ? TINY_TILES : FULL_TILES;
  const names = listOf(
    '--sizes',
    values.sizes,
    TILE_SIZES.map((s) => s.name),
  );
  return {
    tiny,
    rounds: positive('--rounds', values.rounds, tiny ? 1 : 5, true),
    tiles: Object.fromEntries(
      Object.entries(base).map(([name, n]) => [name, Math.max(10, Math.round(n * scale))]),
    ),
    sampleTiles: tiny ? 100 : 2000,
    sizes: TILE_SIZES.filter((s) => names.includes(s.name)),
    methods: listOf('--methods', values.methods, METHOD_IDS),
    dir: path.resolve(values.dir ?? defaultDir()),
    // A tiny run never replaces the committed report of a full run.
    resultsDir: path.resolve(
      values.results ??
        (tiny
          ? path.join(REPO_ROOT, 'build', 'bench', 'results-tiny')
          : path.join(REPO_ROOT, 'bench', 'results')),
    ),
    keepTiles: values['keep-tiles'] ?? false,
    strace: !values['no-strace'],
    recovery: !values['no-recovery'],
    profile: !tiny && !values['no-profile'],
    kills: tiny ? 3 : 20,
    swaps: tiny ? 2 : 5,
    roundTrips: tiny ? 30 : 200,
    execRuns: tiny ? 2 : 10,
  };
}
