// `npm run bench`: EdgeCam side by side with what a Node user would write and with a C reference
// that marks the machine's limit, on freshly generated tile sets of 16, 64 and 192 KiB, methods
// alternating over several rounds; then system calls (a separate traced pass), recovery and
// control-plane figures, and the report in bench/results/ (JSON, Markdown, PNG chart).
// See docs/performance.md. Run: npm run bench [-- --tiny | --help]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BenchUsageError, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { writeChart } from './chart.js';
import { REPO_ROOT } from './daemon-session.js';
import {
  C_REFERENCE_PATH,
  METHODS,
  runMethodPass,
  WASM_PATH,
  type MethodId,
  type MethodPass,
} from './methods.js';
import { processTree } from './process-tree.js';
import { profileEdgecam } from './profile.js';
import { measureRecovery } from './recovery.js';
import {
  checkAims,
  markdownReport,
  ratios,
  summarize,
  syscallRecord,
  type BenchReport,
  type PassRecord,
  type SyscallRecord,
} from './report.js';
import {
  checkOutput,
  fileSystemOf,
  prepareTileSet,
  residentFraction,
  tileName,
  type TileSet,
} from './tile-sets.js';

const log = (line: string) => console.log(`bench: ${line}`);

function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Builds the C reference (quick when up to date) and checks what the other methods need. */
function checkPrerequisites(): void {
  try {
    execFileSync('bash', [path.join(REPO_ROOT, 'bench', 'build.sh')], { stdio: 'inherit' });
  } catch {
    throw new Error('the C reference did not build (see above); fix: bash bench/build.sh');
  }
  for (const [file, what] of [
    [C_REFERENCE_PATH, 'the C reference'],
    [WASM_PATH, 'the grayscale plugin'],
    [path.join(REPO_ROOT, 'build', 'host', 'edgecam-host'), 'the algorithm host'],
    [path.join(REPO_ROOT, 'dist', 'shell', 'cli.js'), 'the edgecam command'],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`${what} is missing (${file}); fix: npm run setup`);
  }
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Rotates the method order by k, so no method always runs first (after a cold start, say). */
function rotate<T>(items: T[], k: number): T[] {
  const n = items.length;
  return items.map((_, i) => items[(i + k) % n]);
}

function passRecord(
  round: number,
  set: TileSet,
  method: MethodId,
  pass: MethodPass,
  load1: number,
): PassRecord {
  const f = pass.figures;
  const cpu = f.cpuUserS + f.cpuSystemS;
  return {
    round,
    size: set.size.name,
    method,
    tiles: f.tiles,
    seconds: f.seconds,
    tilesPerS: f.tiles / f.seconds,
    mbPerS: f.bytes / 1e6 / f.seconds,
    latencyP50Ms: f.latencyMs.p50,
    latencyP95Ms: f.latencyMs.p95,
    cpuUsPerTile: (cpu / f.tiles) * 1e6,
    userUsPerTile: (f.cpuUserS / f.tiles) * 1e6,
    systemUsPerTile: (f.cpuSystemS / f.tiles) * 1e6,
    peakRssMiB: f.maxRssKiB / 1024,
    load1,
    entersPerTile: f.enters === undefined ? undefined : f.enters / f.tiles,
    counters: pass.counters,
  };
}

async function timedRounds(o: BenchOptions, sets: TileSet[], outRoot: string, workDir: string) {
  const passes: PassRecord[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const [s, set] of sets.entries()) {
      for (const method of rotate(o.methods, round + s)) {
        const outDir = path.join(outRoot, method);
        const load1 = Number(loadAverage().split(' ')[0]);
        const pass = await runMethodPass(method, set, { outDir, workDir });
        const wrong = checkOutput(set, outDir);
        if (wrong) throw new Error(`${METHODS[method].label} wrote wrong output: ${wrong}`);
        fs.rmSync(outDir, { recursive: true, force: true });
        const record = passRecord(round, set, method, pass, load1);
        passes.push(record);
        log(
          `round ${round}/${o.rounds} ${set.size.name} ${method}: ` +
            `${Math.round(record.tilesPerS)} tiles/s, p95 ${record.latencyP95Ms.toFixed(2)} ms, ` +
            `${record.cpuUsPerTile.toFixed(1)} µs CPU/tile`,
        );
      }
    }
  }
  return passes;
}

async function tracedPasses(o: BenchOptions, sets: TileSet[], outRoot: string, workDir: string) {
  const records: SyscallRecord[] = [];
  for (const set of sets) {
    for (const method of o.methods) {
      const outDir = path.join(outRoot, method);
      const straceFile = path.join(workDir, `strace-${set.size.name}-${method}.txt`);
      const pass = await runMethodPass(method, set, { outDir, workDir, sample: true, straceFile });
      const wrong = checkOutput(set, outDir, set.sampleCount);
      if (wrong) throw new Error(`${METHODS[method].label} (traced) wrote wrong output: ${wrong}`);
      fs.rmSync(outDir, { recursive: true, force: true });
      const record = syscallRecord(set.size.name, method, set.sampleCount, pass.syscalls!);
      records.push(record);
      log(
        `traced ${set.size.name} ${method}: ${record.perTile.toFixed(2)} system calls/tile, ` +
          `io_uring_enter ${record.ioUringEnterPerTile.toFixed(3)}/tile`,
      );
    }
  }
  return records;
}

/** The commit measured, with "+changes" when the working tree differs from it. */
function commitMeasured(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return git(['rev-parse', '--short', 'HEAD']) + (dirty ? '+changes' : '');
  } catch {
    return 'unknown';
  }
}

function machine(loadBefore: string) {
  return {
    commit: commitMeasured(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.versions.node,
    loadBefore,
    loadAfter: loadAverage(),
  };
}

async function measureSyscalls(o: BenchOptions, sets: TileSet[], outRoot: string, workDir: string) {
  if (!o.strace) return { syscalls: [], note: 'not measured (--no-strace)' };
  if (!hasCommand('strace')) {
    return { syscalls: [], note: 'not measured: strace is missing (apt-get install -y strace)' };
  }
  try {
    return { syscalls: await tracedPasses(o, sets, outRoot, workDir) };
  } catch (error) {
    const note = `not measured: ${(error as Error).message}`;
    log(`system calls ${note}`);
    return { syscalls: [], note };
  }
}

async function controlPlane(o: BenchOptions, set: TileSet, outRoot: string, workDir: string) {
  if (!o.recovery) return { note: 'not measured (--no-recovery)' };
  if (!o.methods.includes('edgecam')) return { note: 'not measured (EdgeCam not among --methods)' };
  log(`control plane: kill-algo x${o.kills}, hot swap x${o.swaps}, status round trips`);
  const outDir = path.join(outRoot, 'recovery');
  const recovery = await measureRecovery(set, outDir, workDir, {
    kills: o.kills,
    swaps: o.swaps,
    roundTrips: o.roundTrips,
    execRuns: o.execRuns,
  });
  fs.rmSync(outDir, { recursive: true, force: true });
  return { recovery };
}

/** Writes profile-SIZE.txt into the results folder when perf can, else says why not. */
async function profile(o: BenchOptions, set: TileSet, outRoot: string, workDir: string) {
  const file = path.join(o.resultsDir, `profile-${set.size.name}.txt`);
  // A profile left from an earlier run would pass for this run's.
  fs.rmSync(file, { force: true });
  if (!o.profile) return;
  if (!o.methods.includes('edgecam')) return log('no profile: EdgeCam not among --methods');
  if (!hasCommand('perf'))
    return log('no profile: perf is missing (apt-get install -y linux-perf)');
  log(`profiling one EdgeCam pass into ${file}`);
  const outDir = path.join(outRoot, 'profile');
  try {
    await profileEdgecam(set, outDir, workDir, file);
  } catch (error) {
    log(`no profile: ${(error as Error).message}`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
}

/** Every measurement on the prepared tile sets, as the report. */
async function measure(o: BenchOptions, sets: TileSet[], outRoot: string, workDir: string) {
  const loadBefore = loadAverage();
  const passes = await timedRounds(o, sets, outRoot, workDir);
  const { syscalls, note: syscallNote } = await measureSyscalls(o, sets, outRoot, workDir);
  const recoverySet = sets.find((s) => s.size.name === '64k') ?? sets[0];
  const { recovery, note: recoveryNote } = await controlPlane(o, recoverySet, outRoot, workDir);
  await profile(o, recoverySet, outRoot, workDir);

  const sizeNames = sets.map((s) => s.size.name);
  const summary = summarize(passes, syscalls, sizeNames);
  const ratioRows = ratios(summary, sizeNames);
  const report: BenchReport = {
    version: 1,
    generatedAt: new Date().toISOString(),
    tiny: o.tiny,
    machine: machine(loadBefore),
    tileSets: sets.map((set) => ({
      size: set.size.name,
      edge: set.size.edge,
      fileBytes: set.fileBytes,
      tiles: set.count,
      dir: set.dir,
      fileSystem: fileSystemOf(set.dir),
      resident: residentFraction(
        [0, set.count >> 1, set.count - 1].map((i) => path.join(set.dir, tileName(i))),
      ),
    })),
    rounds: o.rounds,
    methods: o.methods.map((id) => ({ id, ...METHODS[id] })),
    passes,
    summary,
    ratios: ratioRows,
    syscalls,
    syscallNote,
    recovery,
    recoveryNote,
    aims: checkAims(summary, ratioRows),
  };
  return report;
}

async function writeReport(o: BenchOptions, report: BenchReport): Promise<void> {
  const chartName = 'tiles-per-second.png';
  const sizes = report.tileSets.map((t) => t.size);
  await writeChart(report.summary, sizes, o.methods, path.join(o.resultsDir, chartName));
  fs.writeFileSync(path.join(o.resultsDir, 'bench.json'), JSON.stringify(report, null, 1) + '\n');
  fs.writeFileSync(path.join(o.resultsDir, 'bench.md'), markdownReport(report, chartName));
}

async function main(argv: string[]): Promise<void> {
  const o = parseBenchOptions(argv);
  const started = Date.now();
  const load = loadAverage();
  if (Number(load.split(' ')[0]) > 0.5 && !o.tiny) {
    log(`warning: load average is ${load}; figures from a busy machine are not comparable`);
  }
  checkPrerequisites();

  const workDir = path.join(o.dir, 'work');
  const outRoot = path.join(o.dir, 'out');
  const sets: TileSet[] = [];
  // The tile sets take gigabytes (of memory, on a tmpfs): they go however the run ends.
  const cleanUp = () => {
    for (const set of o.keepTiles ? [] : sets) {
      fs.rmSync(set.dir, { recursive: true, force: true });
      fs.rmSync(set.sampleDir, { recursive: true, force: true });
    }
    fs.rmSync(outRoot, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
    if (fs.existsSync(o.dir) && fs.readdirSync(o.dir).length === 0) fs.rmdirSync(o.dir);
  };
  process.once('SIGINT', () => {
    // Our daemons, hosts and baselines go too (a SIGINT from a terminal reaches them anyway).
    for (const pid of processTree(process.pid).slice(1).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It had exited already.
      }
    }
    cleanUp();
    process.exit(130);
  });

  try {
    fs.mkdirSync(workDir, { recursive: true });
    fs.mkdirSync(o.resultsDir, { recursive: true });
    log(`tile sets in ${o.dir} (${fileSystemOf(o.dir)})`);
    for (const size of o.sizes) {
      const set = prepareTileSet(o.dir, size, o.tiles[size.name], o.sampleTiles, o.keepTiles);
      sets.push(set);
      log(`${size.name}: ${set.count} tiles of ${set.fileBytes} bytes in ${set.dir}`);
    }
    await writeReport(o, await measure(o, sets, outRoot, workDir));
  } finally {
    cleanUp();
  }
  log(
    `report in ${o.resultsDir} (bench.md, bench.json, tiles-per-second.png), ` +
      `${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`bench: ${error instanceof BenchUsageError ? '' : 'failed: '}${error.message}`);
  process.exit(error instanceof BenchUsageError ? 2 : 1);
});
