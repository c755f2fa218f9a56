// `npm run demo`: real photographs through the real pipeline. Cuts the
// sample photographs into tiles, starts a daemon, feeds the tiles, shows
// progress, prints the daemon's figures, writes one mosaic PNG per photo,
// stops the daemon. Exits non-zero if any tile is missing.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from '../core/paths.js';
import { ControlClient } from '../shell/control-client.js';
import { formatStatus } from '../shell/format.js';
import { exportMosaic } from '../shell/mosaic-export.js';
import { importPhoto } from '../shell/tile-import.js';

const SAMPLES = path.join(REPO_ROOT, 'img_samples');
const TILES = path.join(SAMPLES, 'in');
const OUT = path.join(SAMPLES, 'out');
const MOSAICS = path.join(SAMPLES, 'mosaic');
const PLUGIN = process.env.EDGECAM_DEMO_PLUGIN ?? 'grayscale';
const TILE = 64;

async function main(): Promise<number> {
  // 1. Tiles from the photographs, afresh.
  const photos = fs
    .readdirSync(SAMPLES)
    .filter((n) => /\.(png|jpe?g)$/i.test(n))
    .sort();
  for (const dir of [TILES, OUT, path.join(SAMPLES, 'quarantine')])
    fs.rmSync(dir, { recursive: true, force: true });
  let tileCount = 0;
  for (const photo of photos) {
    const result = await importPhoto(path.join(SAMPLES, photo), TILES, { tile: TILE });
    tileCount += result.tiles;
    console.log(
      `import  ${photo.padEnd(16)} ${result.width}x${result.height} -> ${result.tiles} tiles of ${TILE}x${TILE}`,
    );
  }

  // 2. A daemon of our own, on a private socket, logging to a file.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-demo-'));
  const socket = path.join(runDir, 'control.sock');
  const logFile = path.join(SAMPLES, 'daemon.log');
  const log = fs.openSync(logFile, 'w');
  const daemon = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin', 'edgecam.js'),
      'daemon',
      '--socket',
      socket,
      '--out',
      OUT,
      '--plugin',
      PLUGIN,
    ],
    { stdio: ['ignore', log, log] },
  );
  const exited = new Promise<number>((resolve) =>
    daemon.once('exit', (code) => resolve(code ?? 1)),
  );
  // Whatever ends the demo early (an error, a closed pipe), the daemon ends with it.
  process.once('exit', () => daemon.exitCode === null && daemon.kill('SIGTERM'));
  process.stdout.on('error', () => process.exit(1));
  const client = await connectWhenReady(socket, exited, logFile);
  console.log(
    `daemon  pid ${daemon.pid}, plugin ${PLUGIN}, socket ${socket}, log ${path.relative(process.cwd(), logFile)}`,
  );

  // 3. Feed everything, watch it go through.
  const started = performance.now();
  await client.request('feed', [TILES]);
  let status: any;
  for (;;) {
    status = await client.request('status');
    drawProgress(
      status.tiles.written + status.tiles.quarantined,
      status.tiles.fed,
      status.rates.outPerS,
    );
    if (status.tiles.inFlight === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  if (process.stdout.isTTY) process.stdout.write('\n');
  process.stdout.write('\n');
  console.log(formatStatus(status));
  console.log(
    `\n${status.tiles.written} tiles in ${seconds.toFixed(2)} s = ${(status.tiles.written / seconds).toFixed(0)} tiles/s overall`,
  );

  // 4. Put the photographs back together.
  fs.mkdirSync(MOSAICS, { recursive: true });
  for (const photo of photos) {
    const stem = path.parse(photo).name;
    const to = path.join(MOSAICS, `${stem}.png`);
    const result = await exportMosaic(OUT, to, {
      manifest: path.join(TILES, `${stem}.tiles.json`),
    });
    console.log(
      `mosaic  ${path.relative(process.cwd(), result.path)} (${result.width}x${result.height}, ${result.tiles} tiles${result.missing.length ? `, ${result.missing.length} MISSING` : ''})`,
    );
  }

  // 5. Stop: drain, stop hosts, exit 0.
  await client.request('stop');
  const code = await exited;
  fs.rmSync(runDir, { recursive: true, force: true });
  const written = fs.readdirSync(OUT).filter((n) => /\.(ppm|pgm)$/.test(n)).length;
  const ok = code === 0 && written === tileCount && status.tiles.quarantined === 0;
  console.log(
    ok
      ? `\ndemo ok: ${written}/${tileCount} tiles written, daemon exited 0`
      : `\ndemo FAILED: ${written}/${tileCount} tiles written, daemon exit ${code}`,
  );
  return ok ? 0 : 1;
}

async function connectWhenReady(
  socket: string,
  exited: Promise<number>,
  logFile: string,
): Promise<ControlClient> {
  let dead = false;
  void exited.then(() => (dead = true));
  for (let i = 0; i < 200; i++) {
    if (dead)
      throw new Error(
        `the daemon exited at start; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    try {
      return await ControlClient.connect(socket);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the daemon did not answer on ${socket} within 10 s; see ${logFile}`);
}

let lastQuarter = -1;

/** A bar redrawn in place on a terminal; on a pipe or file, a line per quarter. */
function drawProgress(done: number, total: number, rate: number): void {
  if (!process.stdout.isTTY) {
    const quarter = total ? Math.floor((4 * done) / total) : 0;
    if (quarter !== lastQuarter) console.log(`tiles   ${done}/${total}`);
    lastQuarter = quarter;
    return;
  }
  const width = 40;
  const filled = total ? Math.round((done / total) * width) : 0;
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  process.stdout.write(`\rtiles   [${bar}] ${done}/${total}  ${rate.toFixed(0)} tiles/s `);
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(`demo: ${error.message}`);
    process.exitCode = 1;
  },
);
