// The Node baselines of the benchmark: what a Node user would write for EdgeCam's job. Each tile
// is read whole, turned gray by grayscale.wasm in V8 (bench/wasm-gray.ts) and written back under
// the same name to the output folder with a plain writeFile, either with fs.promises and 32 tiles
// in flight, or with readFileSync/writeFileSync. Run by bench/run.ts as its own process:
//   node dist/bench/node-baseline.js --in DIR --out DIR --mode async|sync [--concurrency 32]
//     --wasm build/algos/grayscale.wasm --max-pixel-bytes N [--wait]
// It prints one JSON line of figures; with --wait it prints {"ready":...} first and starts when
// a line arrives on stdin, so a tracer can attach.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

import { parsePnm } from './pnm.js';
// Not process.resourceUsage().maxRSS: Linux carries it across execve, so it would report the
// size of the process that started this one if that was bigger.
import { peakRssKiB } from './process-tree.js';
import { percentile } from './stats.js';
import { WasmGray } from './wasm-gray.js';

interface BaselineOptions {
  inDir: string;
  outDir: string;
  mode: 'async' | 'sync';
  concurrency: number;
  wasm: string;
  maxPixelBytes: number;
  wait: boolean;
}

function parseOptions(argv: string[]): BaselineOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' },
      out: { type: 'string' },
      mode: { type: 'string' },
      concurrency: { type: 'string', default: '32' },
      wasm: { type: 'string' },
      'max-pixel-bytes': { type: 'string' },
      wait: { type: 'boolean', default: false },
    },
  });
  const mode = values.mode;
  if (!values.in || !values.out || !values.wasm || (mode !== 'async' && mode !== 'sync')) {
    throw new Error(
      'usage: node-baseline --in DIR --out DIR --mode async|sync --wasm FILE --max-pixel-bytes N',
    );
  }
  return {
    inDir: values.in,
    outDir: values.out,
    mode,
    concurrency: Number(values.concurrency),
    wasm: values.wasm,
    maxPixelBytes: Number(values['max-pixel-bytes'] ?? 262144),
    wait: values.wait ?? false,
  };
}

function listTiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.endsWith('.json'))
    .sort();
}

function grayTile(gray: WasmGray, file: Buffer, name: string): void {
  const g = parsePnm(file);
  if (!g) throw new Error(`${name} is not a whole binary PNM tile`);
  gray.process(file, g);
}

async function runAsync(
  o: BaselineOptions,
  gray: WasmGray,
  names: string[],
  latency: Float64Array,
) {
  let next = 0;
  let bytes = 0;
  const lane = async () => {
    while (next < names.length) {
      const i = next++;
      const started = performance.now();
      const file = await fs.promises.readFile(path.join(o.inDir, names[i]));
      grayTile(gray, file, names[i]);
      await fs.promises.writeFile(path.join(o.outDir, names[i]), file);
      latency[i] = performance.now() - started;
      bytes += file.length;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return bytes;
}

function runSync(o: BaselineOptions, gray: WasmGray, names: string[], latency: Float64Array) {
  let bytes = 0;
  for (let i = 0; i < names.length; i++) {
    const started = performance.now();
    const file = fs.readFileSync(path.join(o.inDir, names[i]));
    grayTile(gray, file, names[i]);
    fs.writeFileSync(path.join(o.outDir, names[i]), file);
    latency[i] = performance.now() - started;
    bytes += file.length;
  }
  return bytes;
}

async function waitForGo(): Promise<void> {
  console.log(JSON.stringify({ ready: true, pid: process.pid }));
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const gray = new WasmGray(o.wasm, o.maxPixelBytes);
  if (o.wait) await waitForGo();

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const names = listTiles(o.inDir);
  const latency = new Float64Array(names.length);
  const bytes =
    o.mode === 'async' ? await runAsync(o, gray, names, latency) : runSync(o, gray, names, latency);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  console.log(
    JSON.stringify({
      tiles: names.length,
      bytes,
      seconds,
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
      maxRssKiB: peakRssKiB([process.pid]),
      latencyMs: { p50: percentile(latency, 0.5), p95: percentile(latency, 0.95) },
    }),
  );
}

main().catch((error: Error) => {
  console.error(`node-baseline: ${error.message}`);
  process.exit(1);
});
