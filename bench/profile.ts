// Where EdgeCam's time goes: one EdgeCam pass recorded with `perf record -a` on the cpu-clock
// software event (hardware counters are often missing in VMs), summarised by process and by
// symbol into a text file the performance page quotes.

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

import { runEdgecamPass } from './edgecam-method.js';
import type { TileSet } from './tile-sets.js';

const run = promisify(execFile);

async function perfReport(dataFile: string, sort: string, limit: string): Promise<string> {
  const { stdout } = await run(
    'perf',
    [
      'report',
      '-i',
      dataFile,
      '--stdio',
      '--no-children',
      '-g',
      'none',
      '--sort',
      sort,
      ...limit.split(' '),
    ],
    { maxBuffer: 64 << 20 },
  );
  // perf pads its columns to hundreds of characters; two spaces between them read as well.
  return stdout
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) =>
      line
        .trim()
        .replace(/\s{2,}/g, '  ')
        .replace(/\s+-\s+-$/, ''),
    )
    .join('\n');
}

/** Starts `perf record` on the processes; the returned function stops it. */
async function perfRecord(pids: number[], dataFile: string): Promise<() => Promise<void>> {
  const args = ['record', '-g', '-e', 'cpu-clock', '-F', '999', '-o', dataFile];
  const perf = spawn('perf', [...args, '-p', pids.join(',')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  perf.stderr.on('data', (chunk) => (stderr += chunk));
  perf.once('error', (error) => (stderr += `${error.message} (apt-get install -y linux-perf)`));
  const exited = new Promise<void>((resolve) => perf.once('close', () => resolve()));
  // perf gives no sign that it is recording; a moment is enough on an idle daemon.
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (perf.exitCode !== null || perf.pid === undefined) {
    throw new Error(`perf record failed: ${stderr.trim()}`);
  }
  return async () => {
    perf.kill('SIGINT');
    await exited;
  };
}

/**
 * Profiles one EdgeCam pass over set (the daemon, its I/O thread and io-wq workers, and the
 * hosts; nothing else on the machine) and writes the summary to textFile.
 */
export async function profileEdgecam(
  set: TileSet,
  outDir: string,
  workDir: string,
  textFile: string,
): Promise<void> {
  const dataFile = `${workDir}/perf.data`;
  let daemonPid = 0;
  // --perf-basic-prof makes node write /tmp/perf-PID.map, which names JavaScript functions.
  const pass = await runEdgecamPass(set, 'uring', outDir, workDir, {
    nodeFlags: ['--perf-basic-prof'],
    observe: (pids) => {
      daemonPid = pids[0];
      return perfRecord(pids, dataFile);
    },
  });

  const byProcess = await perfReport(dataFile, 'comm', '--percent-limit 0.5');
  const byThread = await perfReport(dataFile, 'pid', '--percent-limit 0.5');
  const byLibrary = await perfReport(dataFile, 'pid,dso', '--percent-limit 0.3');
  const bySymbol = await perfReport(dataFile, 'pid,symbol', '--percent-limit 0.3');
  const f = pass.figures;
  const cpuUs = ((f.cpuUserS + f.cpuSystemS) / f.tiles) * 1e6;
  fs.writeFileSync(
    textFile,
    [
      `perf record -g -e cpu-clock -F 999 -p DAEMON,HOSTS over one EdgeCam pass: ${f.tiles} ` +
        `tiles of ${set.size.name} in ${f.seconds.toFixed(2)} s ` +
        `(${Math.round(f.tiles / f.seconds)} tiles/s), ${cpuUs.toFixed(0)} µs of CPU per tile ` +
        `(so a share of 10 % below is ${(cpuUs / 10).toFixed(1)} µs per tile). ` +
        'Shares are of the samples taken in ' +
        "these processes (threads named by comm: node is the daemon's JavaScript thread, " +
        "iou-wrk the kernel's io-wq workers of its ring).",
      '',
      'By thread name (comm):',
      byProcess,
      '',
      "By thread (tid:name; the daemon's JavaScript thread has the daemon's pid as tid):",
      byThread,
      '',
      'By thread and library (JIT is JavaScript compiled by V8, .cwasm the plugin):',
      byLibrary,
      '',
      'By thread and symbol (entries of 0.3 % and more; JavaScript functions are named JS:):',
      bySymbol,
      '',
    ].join('\n'),
  );
  fs.rmSync(dataFile, { force: true });
  fs.rmSync(`/tmp/perf-${daemonPid}.map`, { force: true });
}
