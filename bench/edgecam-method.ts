// One timed pass of EdgeCam itself: a fresh daemon with its hosts, `feed` of the tile folder,
// then `drain`, whose answer comes when the last tile is written. The daemon's own counters
// (io_uring enters, batches, latency per stage) come from `status` afterwards.

import { DaemonSession } from './daemon-session.js';
import type { PassFigures } from './child-method.js';
import { cpuTime, peakRssKiB } from './process-tree.js';
import { StraceSession, type SyscallCounts } from './strace-count.js';
import { resetFolder, type TileSet } from './tile-sets.js';

export interface EdgecamCounters {
  batches: number;
  submissions: number;
  enters: number;
  entersPerTile: number;
  ringFlags: string[];
  /** Per-stage p50/p95 in ms, from the daemon. */
  stagesMs: Record<string, { p50: number; p95: number }>;
}

export interface EdgecamPass {
  figures: PassFigures;
  counters: EdgecamCounters;
  syscalls?: SyscallCounts;
}

/** The slot size for a tile file: the file rounded up to whole pages. */
export function slotSizeFor(fileBytes: number): number {
  return Math.ceil(fileBytes / 4096) * 4096;
}

export async function runEdgecamPass(
  set: TileSet,
  io: 'uring' | 'sync',
  outDir: string,
  workDir: string,
  options: {
    sample?: boolean;
    straceFile?: string;
    /** Called with the daemon's and hosts' pids before feed; its result after the last tile. */
    observe?: (pids: number[]) => Promise<() => Promise<void>>;
    nodeFlags?: string[];
  } = {},
): Promise<EdgecamPass> {
  const inDir = options.sample ? set.sampleDir : set.dir;
  const expected = options.sample ? set.sampleCount : set.count;
  resetFolder(outDir);
  const daemon = await DaemonSession.start({
    workDir,
    outDir,
    slotSize: slotSizeFor(set.fileBytes),
    io,
    nodeFlags: options.nodeFlags,
  });
  try {
    const pids = daemon.pids();
    const trace = options.straceFile
      ? await StraceSession.attach(pids, options.straceFile)
      : undefined;
    const stopObserving = await options.observe?.(pids);
    const cpuBefore = cpuTime(pids);

    const started = performance.now();
    const fed = await daemon.request<{ accepted: number }>('feed', inDir);
    await daemon.request('drain');
    const seconds = (performance.now() - started) / 1000;

    const cpuAfter = cpuTime(pids);
    const syscalls = await trace?.finish();
    await stopObserving?.();
    const status = await daemon.request('status');
    const peak = peakRssKiB(pids);
    if (fed.accepted !== expected || status.tiles.written !== expected) {
      throw new Error(
        `EdgeCam (--io ${io}) wrote ${status.tiles.written} of ${expected} tiles ` +
          `(accepted ${fed.accepted}, quarantined ${status.tiles.quarantined}); ` +
          `see ${workDir} for the daemon's log`,
      );
    }

    const stagesMs: EdgecamCounters['stagesMs'] = {};
    for (const [stage, p] of Object.entries<any>(status.latencyMs)) {
      stagesMs[stage] = { p50: p.p50, p95: p.p95 };
    }
    return {
      figures: {
        tiles: expected,
        bytes: status.io.bytesRead,
        seconds,
        cpuUserS: cpuAfter.userS - cpuBefore.userS,
        cpuSystemS: cpuAfter.systemS - cpuBefore.systemS,
        maxRssKiB: peak,
        latencyMs: { p50: status.latencyMs.endToEnd.p50, p95: status.latencyMs.endToEnd.p95 },
        enters: status.io.enters,
      },
      counters: {
        batches: status.io.batches,
        submissions: status.io.submissions,
        enters: status.io.enters,
        entersPerTile: status.io.enters / expected,
        ringFlags: status.io.flags ?? [],
        stagesMs,
      },
      syscalls,
    };
  } finally {
    await daemon.stop();
  }
}
