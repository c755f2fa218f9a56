// The methods the benchmark compares, side by side on the same tiles: EdgeCam with io_uring and
// with plain system calls, the two Node baselines, and the C reference. One pass of any of them
// reads every tile of a folder, turns it gray and writes it to that method's output folder.

import path from 'node:path';

import { runChildPass, type PassFigures } from './child-method.js';
import { REPO_ROOT } from './daemon-session.js';
import { runEdgecamPass, type EdgecamCounters } from './edgecam-method.js';
import type { SyscallCounts } from './strace-count.js';
import { resetFolder, type TileSet } from './tile-sets.js';

export const METHOD_IDS = [
  'edgecam',
  'edgecam-sync',
  'node-async',
  'node-sync',
  'c-reference',
] as const;
export type MethodId = (typeof METHOD_IDS)[number];

export const METHODS: Record<MethodId, { label: string; summary: string }> = {
  edgecam: {
    label: 'EdgeCam',
    summary: 'the daemon with its hosts (Wasmtime), io_uring batches, atomic writes',
  },
  'edgecam-sync': {
    label: 'EdgeCam --io sync',
    summary: 'the same daemon with plain system calls on its I/O thread',
  },
  'node-async': {
    label: 'Node fs.promises',
    summary: 'readFile, grayscale.wasm in V8, writeFile; 32 tiles in flight',
  },
  'node-sync': {
    label: 'Node sync',
    summary: 'readFileSync, grayscale.wasm in V8, writeFileSync',
  },
  'c-reference': {
    label: 'C reference',
    summary: 'liburing batches, native gray loop (-O3 -march=native), 2 threads, no sandbox',
  },
};

export const C_REFERENCE_PATH = path.join(REPO_ROOT, 'build', 'bench', 'c-reference');
export const WASM_PATH = path.join(REPO_ROOT, 'build', 'algos', 'grayscale.wasm');
const NODE_BASELINE_PATH = path.join(REPO_ROOT, 'dist', 'bench', 'node-baseline.js');

export interface MethodPass {
  figures: PassFigures;
  counters?: EdgecamCounters;
  syscalls?: SyscallCounts;
}

export interface PassPlace {
  /** The method's output folder. */
  outDir: string;
  /** Scratch folder for daemon sockets, logs and the module cache. */
  workDir: string;
  /** Run on the set's sample folder (the traced pass). */
  sample?: boolean;
  straceFile?: string;
}

export async function runMethodPass(
  id: MethodId,
  set: TileSet,
  place: PassPlace,
): Promise<MethodPass> {
  const inDir = place.sample ? set.sampleDir : set.dir;
  switch (id) {
    case 'edgecam':
    case 'edgecam-sync':
      return runEdgecamPass(set, id === 'edgecam' ? 'uring' : 'sync', place.outDir, place.workDir, {
        sample: place.sample,
        straceFile: place.straceFile,
      });
    case 'node-async':
    case 'node-sync':
      resetFolder(place.outDir);
      return runChildPass(
        process.execPath,
        [
          NODE_BASELINE_PATH,
          '--in',
          inDir,
          '--out',
          place.outDir,
          '--mode',
          id === 'node-async' ? 'async' : 'sync',
          '--concurrency',
          '32',
          '--wasm',
          WASM_PATH,
          '--max-pixel-bytes',
          String(set.pixelBytes),
          '--wait',
        ],
        place.straceFile,
      );
    case 'c-reference':
      resetFolder(place.outDir);
      return runChildPass(
        C_REFERENCE_PATH,
        [
          '--in',
          inDir,
          '--out',
          place.outDir,
          '--threads',
          '2',
          '--batch',
          '32',
          '--slot-size',
          String(set.fileBytes + 1),
          '--wait',
        ],
        place.straceFile,
      );
  }
}
