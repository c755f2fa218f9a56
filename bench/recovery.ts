// What EdgeCam's control plane costs while tiles flow: the time from `kill-algo` to the next tile
// written by the replacement host, the pause a hot swap (`load`) causes in the output, and the
// round trip of a shell command (`status`) to the local daemon, over the socket and as a whole
// `edgecam exec status` process.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { DaemonSession, REPO_ROOT } from './daemon-session.js';
import { slotSizeFor } from './edgecam-method.js';
import { percentile, spread, type Spread } from './stats.js';
import { resetFolder, type TileSet } from './tile-sets.js';

export interface RecoveryCounts {
  kills: number;
  swaps: number;
  roundTrips: number;
  execRuns: number;
}

export interface RecoveryFigures {
  tileSet: string;
  /** Bench side: kill-algo sent to the daemon's recovery count going up, per kill. */
  killToNextTileMs: Spread;
  /** The daemon's own figure: host death seen to the replacement's first tile written. */
  daemonRecoveryMs: { count: number; p50: number; p95: number; max: number };
  /** `load grayscale` answered, per swap. */
  swapLoadMs: Spread;
  /** The longest gap between two tiles written while a swap ran, per swap. */
  swapPauseMs: Spread;
  /** The same longest gap over an equal window with no swap, for comparison. */
  quietGapMs: Spread;
  statusRoundTripIdleMs: { p50: number; p95: number; n: number };
  statusRoundTripBusyMs: { p50: number; p95: number; n: number };
  execStatusMs: Spread;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps tiles flowing: feeds the set again (forced) when fewer than a quarter are in flight. */
async function keepFlowing(daemon: DaemonSession, set: TileSet): Promise<void> {
  const status = await daemon.request('status');
  if (status.tiles.inFlight < set.count / 4) {
    await daemon.request('feed', '--force', set.dir);
    await sleep(50);
  }
}

/**
 * Polls status until predicate holds, feeding the set again whenever the flow runs low (a
 * replacement host can only show it recovered on a tile); returns the ms since `since`.
 */
async function pollUntil(
  daemon: DaemonSession,
  set: TileSet,
  since: number,
  predicate: (status: any) => boolean,
  what: string,
): Promise<number> {
  for (;;) {
    const status = await daemon.request('status');
    if (predicate(status)) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`${what} did not happen in 10 s`);
    if (status.tiles.inFlight < set.count / 4) await daemon.request('feed', '--force', set.dir);
  }
}

async function measureKills(daemon: DaemonSession, set: TileSet, kills: number) {
  const samples: number[] = [];
  for (let i = 0; i < kills; i++) {
    await keepFlowing(daemon, set);
    const hosts = await daemon.request<Array<{ id: string; plugin: string }>>('hosts');
    const seats = hosts.filter((h) => h.plugin !== 'previous');
    const target = seats[i % seats.length].id;
    const before = (await daemon.request('status')).recoveryMs.count;

    const sent = performance.now();
    await daemon.request('kill-algo', target);
    samples.push(
      await pollUntil(
        daemon,
        set,
        sent,
        (s) => s.recoveryMs.count > before,
        `recovery of host ${target}`,
      ),
    );
    // A replacement that has done work comes back at once when killed
    // again; give it a moment of work so each kill is measured alike.
    await sleep(100);
  }
  return samples;
}

/**
 * The longest interval between increases of `written`, polling status: until `during` settles
 * and tailMs more (or for tailMs when there is nothing to wait for).
 */
async function longestGap(daemon: DaemonSession, tailMs: number, during?: Promise<unknown>) {
  let settledAt = during ? Infinity : performance.now();
  void during?.then(() => (settledAt = performance.now()));
  let lastWritten = (await daemon.request('status')).tiles.written;
  let lastChange = performance.now();
  let gap = 0;
  while (performance.now() - settledAt < tailMs) {
    const status = await daemon.request('status');
    const now = performance.now();
    if (status.tiles.written !== lastWritten) {
      gap = Math.max(gap, now - lastChange);
      lastWritten = status.tiles.written;
      lastChange = now;
    }
  }
  return Math.max(gap, performance.now() - lastChange);
}

async function measureSwaps(daemon: DaemonSession, set: TileSet, swaps: number) {
  const load: number[] = [];
  const pause: number[] = [];
  const quiet: number[] = [];
  for (let i = 0; i < swaps; i++) {
    await keepFlowing(daemon, set);
    const sent = performance.now();
    const loaded = daemon.request('load', 'grayscale').then(() => {
      load.push(performance.now() - sent);
    });
    pause.push(await longestGap(daemon, 100, loaded));
    await keepFlowing(daemon, set);
    quiet.push(await longestGap(daemon, load[load.length - 1] + 100));
  }
  return { load, pause, quiet };
}

async function roundTrips(daemon: DaemonSession, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const sent = performance.now();
    await daemon.request('status');
    samples.push(performance.now() - sent);
  }
  return samples;
}

async function execStatus(socket: string, runs: number): Promise<number[]> {
  const cli = path.join(REPO_ROOT, 'bin', 'edgecam.js');
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await promisify(execFile)(process.execPath, [cli, 'exec', '--socket', socket, 'status']);
    samples.push(performance.now() - started);
  }
  return samples;
}

function summary(samples: number[]) {
  return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), n: samples.length };
}

export async function measureRecovery(
  set: TileSet,
  outDir: string,
  workDir: string,
  counts: RecoveryCounts,
): Promise<RecoveryFigures> {
  resetFolder(outDir);
  const daemon = await DaemonSession.start({
    workDir,
    outDir,
    slotSize: slotSizeFor(set.fileBytes),
    io: 'uring',
  });
  try {
    const idle = await roundTrips(daemon, counts.roundTrips);
    const exec = await execStatus(daemon.socket, counts.execRuns);

    await daemon.request('feed', set.dir);
    await sleep(200);
    const busy = await roundTrips(daemon, counts.roundTrips);
    const kills = await measureKills(daemon, set, counts.kills);
    const swaps = await measureSwaps(daemon, set, counts.swaps);
    const status = await daemon.request('status');

    return {
      tileSet: set.size.name,
      killToNextTileMs: spread(kills),
      daemonRecoveryMs: {
        count: status.recoveryMs.count,
        p50: status.recoveryMs.p50,
        p95: status.recoveryMs.p95,
        max: status.recoveryMs.max,
      },
      swapLoadMs: spread(swaps.load),
      swapPauseMs: spread(swaps.pause),
      quietGapMs: spread(swaps.quiet),
      statusRoundTripIdleMs: summary(idle),
      statusRoundTripBusyMs: summary(busy),
      execStatusMs: spread(exec),
    };
  } finally {
    await daemon.stop();
  }
}
