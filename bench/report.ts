// Turns the passes of a benchmark run into its report: the figures of every pass, medians with
// min-max per method and tile size, the ratios the issue asks for, and a Markdown table.

import type { EdgecamCounters } from './edgecam-method.js';
import { METHOD_IDS, METHODS, type MethodId } from './methods.js';
import type { RecoveryFigures } from './recovery.js';
import { significant, spread, type Spread } from './stats.js';
import type { SyscallCounts } from './strace-count.js';

/** One timed pass, as measured. */
export interface PassRecord {
  round: number;
  size: string;
  method: MethodId;
  tiles: number;
  seconds: number;
  tilesPerS: number;
  /** Input bytes per second, in MB (10^6 bytes). */
  mbPerS: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  /** CPU of the whole process tree per tile, user + system. */
  cpuUsPerTile: number;
  userUsPerTile: number;
  systemUsPerTile: number;
  peakRssMiB: number;
  /** The 1-minute load average when the pass started: other work on the machine shows here. */
  load1: number;
  entersPerTile?: number;
  counters?: EdgecamCounters;
}

export interface SyscallRecord {
  size: string;
  method: MethodId;
  tiles: number;
  total: number;
  perTile: number;
  ioUringEnterPerTile: number;
  /** The most frequent calls, per tile. */
  top: Array<{ name: string; perTile: number }>;
}

export interface MethodSummary {
  size: string;
  method: MethodId;
  tilesPerS: Spread;
  mbPerS: Spread;
  latencyP50Ms: Spread;
  latencyP95Ms: Spread;
  cpuUsPerTile: Spread;
  peakRssMiB: Spread;
  /** From the daemon's own counter (EdgeCam) or the program's count (C reference). */
  entersPerTile?: Spread;
  syscallsPerTile?: number;
  ioUringEnterPerTileTraced?: number;
}

export interface SizeRatios {
  size: string;
  edgecamOverC?: number;
  bestNode?: MethodId;
  edgecamOverBestNode?: number;
  syncOverUring?: number;
}

export interface BenchReport {
  version: 1;
  generatedAt: string;
  tiny: boolean;
  machine: Record<string, unknown>;
  tileSets: Array<{
    size: string;
    edge: number;
    fileBytes: number;
    tiles: number;
    dir: string;
    fileSystem: string;
    resident?: number;
  }>;
  rounds: number;
  methods: Array<{ id: MethodId; label: string; summary: string }>;
  passes: PassRecord[];
  summary: MethodSummary[];
  ratios: SizeRatios[];
  syscalls: SyscallRecord[];
  syscallNote?: string;
  recovery?: RecoveryFigures;
  recoveryNote?: string;
  aims?: Array<{ aim: string; measured: string; met: boolean }>;
}

export function syscallRecord(
  size: string,
  method: MethodId,
  tiles: number,
  counts: SyscallCounts,
): SyscallRecord {
  return {
    size,
    method,
    tiles,
    total: counts.total,
    perTile: counts.total / tiles,
    ioUringEnterPerTile: (counts.calls.io_uring_enter ?? 0) / tiles,
    top: Object.entries(counts.calls)
      .slice(0, 8)
      .map(([name, calls]) => ({ name, perTile: significant(calls / tiles) })),
  };
}

/** Medians with min-max per tile size and method, in the order of sizes and METHOD_IDS. */
export function summarize(
  passes: PassRecord[],
  syscalls: SyscallRecord[],
  sizes: string[],
): MethodSummary[] {
  const groups = new Map<string, PassRecord[]>();
  for (const pass of passes) {
    const key = `${pass.size}\u0000${pass.method}`;
    groups.set(key, [...(groups.get(key) ?? []), pass]);
  }
  const order = (s: MethodSummary) =>
    sizes.indexOf(s.size) * METHOD_IDS.length + METHOD_IDS.indexOf(s.method);
  const rows = [...groups.values()].map((group): MethodSummary => {
    const { size, method } = group[0];
    const traced = syscalls.find((s) => s.size === size && s.method === method);
    const enters = group.map((p) => p.entersPerTile).filter((v) => v !== undefined);
    return {
      size,
      method,
      tilesPerS: spread(group.map((p) => p.tilesPerS)),
      mbPerS: spread(group.map((p) => p.mbPerS)),
      latencyP50Ms: spread(group.map((p) => p.latencyP50Ms)),
      latencyP95Ms: spread(group.map((p) => p.latencyP95Ms)),
      cpuUsPerTile: spread(group.map((p) => p.cpuUsPerTile)),
      peakRssMiB: spread(group.map((p) => p.peakRssMiB)),
      entersPerTile: enters.length ? spread(enters as number[]) : undefined,
      syscallsPerTile: traced?.perTile,
      ioUringEnterPerTileTraced: traced?.ioUringEnterPerTile,
    };
  });
  return rows.sort((a, b) => order(a) - order(b));
}

export function ratios(summary: MethodSummary[], sizes: string[]): SizeRatios[] {
  return sizes.map((size) => {
    const rate = (method: MethodId) =>
      summary.find((s) => s.size === size && s.method === method)?.tilesPerS.median;
    const edgecam = rate('edgecam');
    const c = rate('c-reference');
    const nodes = (['node-async', 'node-sync'] as const)
      .map((m) => ({ m, r: rate(m) }))
      .filter((x) => x.r !== undefined)
      .sort((a, b) => b.r! - a.r!);
    const sync = rate('edgecam-sync');
    return {
      size,
      edgecamOverC: edgecam && c ? edgecam / c : undefined,
      bestNode: nodes[0]?.m,
      edgecamOverBestNode: edgecam && nodes[0] ? edgecam / nodes[0].r! : undefined,
      syncOverUring: edgecam && sync ? sync / edgecam : undefined,
    };
  });
}

/** The aims at 64 KiB tiles, each with what was measured. */
export function checkAims(summary: MethodSummary[], ratioRows: SizeRatios[]) {
  const r = ratioRows.find((x) => x.size === '64k');
  const e = summary.find((s) => s.size === '64k' && s.method === 'edgecam');
  if (!r || !e) return undefined;
  const aims: Array<{ aim: string; measured: string; met: boolean }> = [];
  if (r.edgecamOverC !== undefined) {
    aims.push({
      aim: 'EdgeCam >= 0.7 x the C reference (aim 0.8)',
      measured: `${fmt(r.edgecamOverC, 2)} x`,
      met: r.edgecamOverC >= 0.7,
    });
  }
  if (r.edgecamOverBestNode !== undefined) {
    aims.push({
      aim: 'EdgeCam >= 1.6 x the best Node baseline',
      measured: `${fmt(r.edgecamOverBestNode, 2)} x (${METHODS[r.bestNode!].label})`,
      met: r.edgecamOverBestNode >= 1.6,
    });
  }
  // The untraced passes' own count: strace slows the daemon, which changes its batches.
  const enters = e.entersPerTile?.median ?? e.ioUringEnterPerTileTraced;
  if (enters !== undefined) {
    aims.push({
      aim: 'at most 0.1 io_uring_enter per tile',
      measured: `${fmt(enters, 3)} per tile`,
      met: enters <= 0.1,
    });
  }
  aims.push({
    aim: 'p95 latency per tile under 5 ms',
    measured: `${fmt(e.latencyP95Ms.median, 3)} ms`,
    met: e.latencyP95Ms.median < 5,
  });
  return aims;
}

function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const v = significant(value, digits);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
}

function withRange(s: Spread | undefined, digits = 3): string {
  if (!s || s.n === 0) return '-';
  if (s.n === 1) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}-${fmt(s.max, digits)})`;
}

export function markdownReport(report: BenchReport, chartFile: string): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`# EdgeCam benchmark ${report.tiny ? '(tiny mode: not a measurement)' : ''}`.trim());
  lines.push('');
  lines.push(
    `${report.generatedAt}; ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, ` +
      `Node ${m.node}; commit ${m.commit}; load before ${m.loadBefore}, after ${m.loadAfter}. ` +
      `${report.rounds} round(s), methods alternating; medians with (min-max) over the rounds.`,
  );
  const loads = report.passes.map((p) => p.load1);
  if (loads.length) {
    lines.push('');
    lines.push(
      `1-minute load average as each pass started: ${Math.min(...loads).toFixed(2)} to ` +
        `${Math.max(...loads).toFixed(2)} (the passes themselves load the machine).`,
    );
  }
  lines.push('');
  lines.push('| tile set | tile bytes | tiles | folder | file system | in page cache |');
  lines.push('|---|---|---|---|---|---|');
  for (const t of report.tileSets) {
    const resident = t.resident === undefined ? '-' : `${Math.round(t.resident * 100)} %`;
    lines.push(
      `| ${t.size} | ${t.fileBytes} (${t.edge}x${t.edge} RGB) | ${t.tiles} | ${t.dir} | ` +
        `${t.fileSystem} | ${resident} |`,
    );
  }
  lines.push('');
  lines.push(
    '| tile set | method | tiles/s | MB/s | p50 ms | p95 ms | CPU µs/tile | peak RSS MiB | ' +
      'syscalls/tile (traced) | io_uring_enter/tile (traced) | io_uring_enter/tile (own count) |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of report.summary) {
    lines.push(
      `| ${s.size} | ${METHODS[s.method].label} | ${withRange(s.tilesPerS)} | ` +
        `${withRange(s.mbPerS)} | ${withRange(s.latencyP50Ms)} | ${withRange(s.latencyP95Ms)} | ` +
        `${withRange(s.cpuUsPerTile)} | ${fmt(s.peakRssMiB.median)} | ` +
        `${fmt(s.syscallsPerTile)} | ` +
        `${fmt(s.ioUringEnterPerTileTraced)} | ${withRange(s.entersPerTile)} |`,
    );
  }
  lines.push('');
  lines.push(
    '| tile set | EdgeCam / C reference | EdgeCam / best Node | EdgeCam --io sync / EdgeCam |',
  );
  lines.push('|---|---|---|---|');
  for (const r of report.ratios) {
    const best = r.bestNode ? ` (${METHODS[r.bestNode].label})` : '';
    lines.push(
      `| ${r.size} | ${fmt(r.edgecamOverC, 2)} | ${fmt(r.edgecamOverBestNode, 2)}${best} | ` +
        `${fmt(r.syncOverUring, 2)} |`,
    );
  }
  const counterRows = edgecamCounterRows(report);
  if (counterRows.length) {
    lines.push('');
    lines.push(
      "EdgeCam's own counters (from `status`, for each tile set's median pass): tiles per " +
        'engine batch (reads and writes), io_uring_enter per tile, and p50 / p95 ms per stage.',
    );
    lines.push('');
    lines.push(
      '| tile set | method | tiles/batch | enters/tile | read | queue | execute | write |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    lines.push(...counterRows);
  }
  if (report.aims) {
    lines.push('');
    lines.push('Aims at 64 KiB tiles (from the issue):');
    lines.push('');
    for (const a of report.aims) {
      lines.push(`- ${a.met ? 'met' : 'NOT met'}: ${a.aim}; measured ${a.measured}`);
    }
  }
  if (report.syscalls.length) {
    lines.push('');
    lines.push(
      `System calls per tile (strace -c -f, a separate pass over the first ` +
        `${report.syscalls[0].tiles} tiles of each set):`,
    );
    lines.push('');
    lines.push('| tile set | method | total | most frequent |');
    lines.push('|---|---|---|---|');
    for (const s of report.syscalls) {
      const top = s.top.map((t) => `${t.name} ${t.perTile}`).join(', ');
      lines.push(`| ${s.size} | ${METHODS[s.method].label} | ${fmt(s.perTile)} | ${top} |`);
    }
  } else if (report.syscallNote) {
    lines.push('', `System calls: ${report.syscallNote}`);
  }
  const rec = report.recovery;
  if (rec) {
    lines.push('');
    lines.push(`Control plane, with ${rec.tileSet} tiles flowing through EdgeCam:`);
    lines.push('');
    lines.push('| figure | median (min-max) | n |');
    lines.push('|---|---|---|');
    lines.push(
      `| kill-algo to the replacement's first tile written, ms | ` +
        `${withRange(rec.killToNextTileMs)} | ${rec.killToNextTileMs.n} |`,
    );
    lines.push(
      `| the daemon's own recovery figure (death seen to first tile written), p50 / p95 ms | ` +
        `${fmt(rec.daemonRecoveryMs.p50)} / ${fmt(rec.daemonRecoveryMs.p95)} | ` +
        `${rec.daemonRecoveryMs.count} |`,
    );
    lines.push(
      `| hot swap: \`load grayscale\` answered, ms | ${withRange(rec.swapLoadMs)} | ` +
        `${rec.swapLoadMs.n} |`,
    );
    lines.push(
      `| hot swap: longest gap between tiles written, ms | ${withRange(rec.swapPauseMs)} | ` +
        `${rec.swapPauseMs.n} |`,
    );
    lines.push(
      `| same gap over a window with no swap, ms | ${withRange(rec.quietGapMs)} | ` +
        `${rec.quietGapMs.n} |`,
    );
    lines.push(
      `| \`status\` round trip on the socket, idle, p50 / p95 ms | ` +
        `${fmt(rec.statusRoundTripIdleMs.p50)} / ${fmt(rec.statusRoundTripIdleMs.p95)} | ` +
        `${rec.statusRoundTripIdleMs.n} |`,
    );
    lines.push(
      `| \`status\` round trip on the socket, tiles flowing, p50 / p95 ms | ` +
        `${fmt(rec.statusRoundTripBusyMs.p50)} / ${fmt(rec.statusRoundTripBusyMs.p95)} | ` +
        `${rec.statusRoundTripBusyMs.n} |`,
    );
    lines.push(
      `| \`edgecam exec status\` as a process (Node start included), ms | ` +
        `${withRange(rec.execStatusMs)} | ${rec.execStatusMs.n} |`,
    );
  } else if (report.recoveryNote) {
    lines.push('', `Control plane: ${report.recoveryNote}`);
  }
  lines.push('');
  lines.push(`![tiles per second by method and tile size](${chartFile})`);
  lines.push('');
  lines.push('Methods:');
  lines.push('');
  for (const method of report.methods) lines.push(`- ${method.label}: ${method.summary}.`);
  lines.push('');
  return lines.join('\n');
}

/** One table row per EdgeCam pass that had the median rate of its tile set and method. */
function edgecamCounterRows(report: BenchReport): string[] {
  const rows: string[] = [];
  for (const s of report.summary) {
    if (s.method !== 'edgecam' && s.method !== 'edgecam-sync') continue;
    const passes = report.passes
      .filter((p) => p.size === s.size && p.method === s.method && p.counters)
      .sort((a, b) => a.tilesPerS - b.tilesPerS);
    const pass = passes[(passes.length - 1) >> 1];
    if (!pass) continue;
    const c = pass.counters!;
    const stage = (name: string) =>
      c.stagesMs[name] ? `${fmt(c.stagesMs[name].p50)} / ${fmt(c.stagesMs[name].p95)}` : '-';
    rows.push(
      `| ${s.size} | ${METHODS[s.method].label} | ${fmt((2 * pass.tiles) / c.batches)} | ` +
        `${fmt(c.entersPerTile)} | ${stage('read')} | ${stage('queue')} | ${stage('execute')} | ` +
        `${stage('write')} |`,
    );
  }
  return rows;
}
