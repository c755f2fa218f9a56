// The daemon end to end: a real process with real hosts, real io_uring and
// Wasmtime, driven over its real UNIX control socket.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { CLI, cleanup, ROOT, startDaemon, type TestDaemon } from './helpers/daemon.js';
import {
  decodePnm,
  encodePnm,
  maxDifference,
  referenceGrayscale,
  syntheticImage,
} from './helpers/pnm.js';
import { uringSkipReason } from './helpers/uring.js';

const skip = uringSkipReason();
let daemon: TestDaemon | undefined;

afterEach(() => {
  cleanup(daemon);
  daemon = undefined;
});

function writeTiles(dir: string, count: number, channels: 1 | 3, prefix = 'tile'): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}_${String(i).padStart(4, '0')}.${channels === 3 ? 'ppm' : 'pgm'}`;
    fs.writeFileSync(path.join(dir, name), encodePnm(syntheticImage(64, 48, channels, i + 1)));
    names.push(name);
  }
  return names;
}

describe.skipIf(skip)('daemon', () => {
  it('writes a correct grayscale output for every tile fed, and status balances', async () => {
    daemon = await startDaemon();
    const names = [...writeTiles(daemon.inDir, 40, 3), ...writeTiles(daemon.inDir, 10, 1, 'gray')];

    const fed = await daemon.request('feed', daemon.inDir);
    expect(fed.accepted).toBe(50);
    const status = await daemon.drained();

    for (const name of names) {
      const input = decodePnm(fs.readFileSync(path.join(daemon.inDir, name)));
      const output = decodePnm(fs.readFileSync(path.join(daemon.outDir, name)));
      expect([output.width, output.height, output.channels]).toEqual([
        input.width,
        input.height,
        input.channels,
      ]);
      expect(maxDifference(output.pixels, referenceGrayscale(input))).toBeLessThanOrEqual(1);
    }
    expect(fs.readdirSync(daemon.outDir).sort()).toEqual([...names].sort());
    expect(status.tiles).toMatchObject({ fed: 50, written: 50, quarantined: 0, inFlight: 0 });
  });

  it('reports every figure in status', async () => {
    daemon = await startDaemon();
    writeTiles(daemon.inDir, 64, 3);
    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();

    expect(s.tiles.fed).toBe(s.tiles.written + s.tiles.quarantined + s.tiles.inFlight);
    expect(s.rates.inPerS).toBeGreaterThan(0);
    expect(s.rates.outPerS).toBeGreaterThan(0);
    for (const stage of ['read', 'queue', 'execute', 'write', 'endToEnd']) {
      const p = s.latencyMs[stage];
      expect(p.count, stage).toBe(64);
      expect(p.p50, stage).toBeGreaterThanOrEqual(0);
      expect(p.p95, stage).toBeGreaterThanOrEqual(p.p50);
      expect(p.p99, stage).toBeGreaterThanOrEqual(p.p95);
    }
    expect(s.latencyMs.endToEnd.p50).toBeGreaterThan(0);
    expect(s.backlog).toMatchObject({ tiles: 0, seconds: 0 });
    expect(Object.keys(s.errors).sort()).toEqual(
      ['bad-input', 'host-died', 'io', 'lost', 'memory', 'plugin', 'timeout', 'trap'].sort(),
    );
    expect(s.hosts).toHaveLength(2);
    for (const host of s.hosts) {
      expect(host.pid).toBeGreaterThan(0);
      expect(host.state).toBe('ready');
      // The host is a real process of its own.
      expect(fs.existsSync(`/proc/${host.pid}`)).toBe(true);
    }
    expect(s.hosts.reduce((sum: number, h: any) => sum + h.tiles, 0)).toBe(64);
    expect(s.io.tilesRead).toBe(64);
    expect(s.io.tilesWritten).toBe(64);
    // Batching: far fewer io_uring_enter calls than tiles.
    expect(s.io.enters).toBeGreaterThan(0);
    expect(s.io.entersPerTile).toBeLessThan(1);
    expect(s.plugin.name).toBe('grayscale');
  });

  it('quarantines malformed tiles with a record of why and processes the rest', async () => {
    daemon = await startDaemon();
    writeTiles(daemon.inDir, 5, 3);
    const good = encodePnm(syntheticImage(64, 48, 3));
    fs.writeFileSync(path.join(daemon.inDir, 'empty.ppm'), '');
    fs.writeFileSync(
      path.join(daemon.inDir, 'ascii.ppm'),
      'P3\n2 2\n255\n1 2 3 4 5 6 7 8 9 10 11 12\n',
    );
    fs.writeFileSync(path.join(daemon.inDir, 'truncated.ppm'), good.subarray(0, 1000));

    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();
    expect(s.tiles).toMatchObject({ fed: 8, written: 5, quarantined: 3, inFlight: 0 });
    expect(s.errors['bad-input']).toBe(3);

    await waitFor(() => fs.existsSync(path.join(daemon!.quarantineDir, 'truncated.ppm.json')));
    const record = (name: string) =>
      JSON.parse(fs.readFileSync(path.join(daemon!.quarantineDir, `${name}.json`), 'utf8'));
    expect(record('empty.ppm').reason).toMatch(/^bad-input: .*empty/);
    expect(record('ascii.ppm').reason).toMatch(/P3/);
    expect(record('truncated.ppm').reason).toMatch(/1000 bytes/);
    expect(record('truncated.ppm').attempts).toHaveLength(1);
    expect(fs.statSync(daemon.quarantineDir).mode & 0o777).toBe(0o700);
    // The tile itself is kept beside its record, byte for byte.
    expect(fs.readFileSync(path.join(daemon.quarantineDir, 'truncated.ppm'))).toEqual(
      good.subarray(0, 1000),
    );
    for (const name of ['empty.ppm', 'ascii.ppm', 'truncated.ppm']) {
      expect(fs.existsSync(path.join(daemon.outDir, name))).toBe(false);
    }
  });

  it('refuses a tile whose output name belongs to another tile in flight', async () => {
    daemon = await startDaemon(['--max-attempts', '1']);
    await daemon.request('delay', '300ms', 'execute');
    const other = path.join(daemon.dir, 'other');
    fs.mkdirSync(other);
    writeTiles(daemon.inDir, 1, 3);
    writeTiles(other, 1, 3);
    await daemon.request('feed', daemon.inDir);
    const second = await daemon.request('feed', other);
    expect(second.accepted).toBe(0);
    expect(second.conflicts).toEqual([
      `${path.join(other, 'tile_0000.ppm')} (its output ${path.join(daemon.outDir, 'tile_0000.ppm')} belongs to ${path.join(daemon.inDir, 'tile_0000.ppm')}, in flight)`,
    ]);
    expect((await daemon.drained()).tiles).toMatchObject({ fed: 1, written: 1 });
  });

  it('refuses a second daemon on a live socket and leaves the first one reachable', async () => {
    daemon = await startDaemon();
    const second = spawnSync(
      process.execPath,
      [CLI, 'daemon', '--socket', daemon.socket, '--out', path.join(daemon.dir, 'out2')],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`a daemon is already listening on ${daemon.socket}`);
    expect(fs.existsSync(daemon.socket)).toBe(true);
    expect((await daemon.request('status')).daemon.pid).toBe(daemon.process.pid);
  });

  it('takes only regular files: a FIFO is refused, odd entries of a folder are named', async () => {
    daemon = await startDaemon();
    writeTiles(daemon.inDir, 2, 3);
    const fifo = path.join(daemon.inDir, 'camera.ppm');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    fs.mkdirSync(path.join(daemon.inDir, 'sub'));
    fs.symlinkSync(path.join(daemon.inDir, 'tile_0000.ppm'), path.join(daemon.inDir, 'link.ppm'));
    fs.symlinkSync('/dev/null', path.join(daemon.inDir, 'null.ppm'));

    await expect(daemon.request('feed', fifo)).rejects.toMatchObject({
      code: 'NOT_A_TILE',
      message: `${fifo} is not a regular file (a FIFO, device or socket never holds a tile)`,
    });
    const fed = await daemon.request('feed', daemon.inDir);
    expect(fed.accepted).toBe(3);
    expect(fed.ignored).toEqual([
      'camera.ppm (a FIFO)',
      'null.ppm (a link to no regular file)',
      'sub (a folder)',
    ]);
    expect((await daemon.drained()).tiles).toMatchObject({ fed: 3, written: 3 });
  });

  it('keeps its control socket private to its user', async () => {
    daemon = await startDaemon();
    expect(fs.statSync(daemon.socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(daemon.socket)).mode & 0o777).toBe(0o700);
  });

  it('answers bad requests with errors that say what to do', async () => {
    daemon = await startDaemon();
    await expect(daemon.request('frobnicate')).rejects.toMatchObject({
      code: 'UNKNOWN_COMMAND',
      message: "unknown command 'frobnicate'",
    });
    await expect(daemon.request('feed')).rejects.toMatchObject({
      code: 'USAGE',
      message: 'Expected one or more paths for feed but received nothing',
      hint: 'usage: feed [--watch] [--force] PATH...',
    });
    await expect(daemon.request('feed', '/no/such/folder')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(daemon.request('load', 'no-such-plugin')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
    await expect(daemon.request('load', 'box-blur', '99')).rejects.toMatchObject({
      code: 'USAGE',
      message: 'Expected a whole number in 1..16 for box-blur radius but received 99',
    });
    // After all that the pipeline still works.
    writeTiles(daemon.inDir, 3, 3);
    await daemon.request('feed', daemon.inDir);
    expect((await daemon.drained()).tiles.written).toBe(3);
  });

  it('hot-swaps to another plugin and reports which plugin ran, by name and sha256', async () => {
    daemon = await startDaemon();
    const loaded = await daemon.request('load', 'invert');
    const wasm = fs.readFileSync(path.join(ROOT, 'build', 'algos', 'invert.wasm'));
    expect(loaded.sha256).toBe(createHash('sha256').update(wasm).digest('hex'));

    const names = writeTiles(daemon.inDir, 8, 3);
    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();
    expect(s.plugin).toMatchObject({ name: 'invert', sha256: loaded.sha256 });
    for (const name of names) {
      const input = decodePnm(fs.readFileSync(path.join(daemon.inDir, name)));
      const output = decodePnm(fs.readFileSync(path.join(daemon.outDir, name)));
      expect(output.pixels).toEqual(Buffer.from(input.pixels.map((v) => 255 - v)));
    }
  });

  it('labels what a plugin prints with its host id in the daemon log', async () => {
    daemon = await startDaemon();
    const wasm = compilePlugin(daemon.dir, 'chatty', [
      'printf("chatty saw %ux%u\\n", p->width, p->height);',
    ]);

    await daemon.request('load', wasm);
    writeTiles(daemon.inDir, 2, 3);
    await daemon.request('feed', daemon.inDir);
    await daemon.drained();
    await waitFor(() => /chatty saw 64x48/.test(daemon!.log()));
    const line = daemon
      .log()
      .split('\n')
      .find((l) => l.includes('chatty saw 64x48'))!;
    expect(JSON.parse(line)).toMatchObject({ event: 'plugin-output', stream: 'stdout' });
    expect(JSON.parse(line).host).toMatch(/^h[12]$/);
  });

  it('logs a flood of plugin output only in part, and says how much it left out', async () => {
    daemon = await startDaemon();
    const wasm = compilePlugin(daemon.dir, 'flood', [
      'for (int i = 0; i < 2000; i++) puts("spam spam spam spam spam spam spam spam");',
    ]);
    await daemon.request('load', wasm);
    writeTiles(daemon.inDir, 10, 3);
    await daemon.request('feed', daemon.inDir);
    expect((await daemon.drained()).tiles.written).toBe(10);
    await waitFor(() => /plugin-output-suppressed/.test(daemon!.log()));

    // 20,000 lines printed; a few dozen logged per host and stream.
    const logged = daemon
      .log()
      .split('\n')
      .filter((l) => l.includes('spam spam')).length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThan(200);
  });

  it('takes raw tiles of the geometry given on the command line', async () => {
    daemon = await startDaemon(['--raw', '16x8x3']);
    const image = syntheticImage(16, 8, 3, 9);
    fs.writeFileSync(path.join(daemon.inDir, 'a.raw'), image.pixels);
    fs.writeFileSync(path.join(daemon.inDir, 'short.raw'), image.pixels.subarray(0, 100));
    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();
    expect(s.tiles).toMatchObject({ written: 1, quarantined: 1 });
    const output = fs.readFileSync(path.join(daemon.outDir, 'a.raw'));
    expect(maxDifference(output, referenceGrayscale(image))).toBeLessThanOrEqual(1);
  });

  it('takes a compiled plugin from the cache the second time it is loaded', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-cache-'));
    daemon = await startDaemon(['--cache-dir', cache]);
    const first = await daemon.request('load', 'threshold', '100');
    expect(first.compiled).toMatch(/^in \d+ ms$/);
    const again = await daemon.request('load', 'threshold', '100');
    expect(again.compiled).toBe('from cache');
    expect(again.args).toEqual([100]);
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('refuses a plugin that does not compile and keeps the running one', async () => {
    daemon = await startDaemon();
    const bogus = path.join(daemon.dir, 'bogus.wasm');
    fs.writeFileSync(bogus, 'this is not WebAssembly');
    const error = await daemon.request('load', bogus).catch((e) => e);
    expect(error.message).toMatch(/bogus\.wasm was refused/);
    expect((await daemon.request('status')).plugin.name).toBe('grayscale');
  });

  it('quarantines every tile of a trapping plugin with each attempt recorded', async () => {
    daemon = await startDaemon(['--max-attempts', '2']);
    await daemon.request('load', 'hostile/trap');
    writeTiles(daemon.inDir, 3, 3);
    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();
    expect(s.tiles).toMatchObject({ fed: 3, written: 0, quarantined: 3 });
    expect(s.errors.trap).toBe(6);
    await waitFor(() => fs.existsSync(path.join(daemon!.quarantineDir, 'tile_0002.ppm.json')));
    const record = JSON.parse(
      fs.readFileSync(path.join(daemon.quarantineDir, 'tile_0002.ppm.json'), 'utf8'),
    );
    expect(record.attempts.map((a: any) => a.cause)).toEqual(['trap', 'trap']);
    expect(record.attempts[0].message).toMatch(/unreachable/);
  });

  it('retries quarantined tiles on request and clears their records', async () => {
    daemon = await startDaemon(['--max-attempts', '1']);
    await daemon.request('load', 'hostile/trap');
    const names = writeTiles(daemon.inDir, 4, 3);
    await daemon.request('feed', daemon.inDir);
    await daemon.drained();
    await waitFor(() => fs.readdirSync(daemon!.quarantineDir).length === 8);
    expect((await daemon.request('status')).quarantine.records).toBe(4);
    const shown = await daemon.request('quarantine', 'show', 'tile_0001.ppm');
    expect(shown.attempts[0].cause).toBe('trap');
    // One source is gone: its retry comes from the quarantine copy.
    fs.rmSync(path.join(daemon.inDir, 'tile_0003.ppm'));

    await daemon.request('load', 'grayscale');
    expect(await daemon.request('quarantine', 'retry', 'all')).toEqual({ retried: 4 });
    const s = await daemon.drained();
    expect(s.tiles).toMatchObject({ fed: 8, written: 4, quarantined: 4, inFlight: 0 });
    expect((await daemon.request('quarantine')).length).toBe(0);
    expect(s.quarantine.records).toBe(0);
    await waitFor(() =>
      fs.readdirSync(daemon!.quarantineDir, { recursive: true }).every((n) => n === '.retry'),
    );
    expect(fs.readdirSync(daemon.outDir).sort()).toEqual(names);
  });

  it('drains the tiles in flight on SIGTERM, removes its socket and exits 0', async () => {
    daemon = await startDaemon();
    const names = writeTiles(daemon.inDir, 300, 3);
    await daemon.request('feed', daemon.inDir);
    daemon.process.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(fs.readdirSync(daemon.outDir).filter((n) => !n.startsWith('.')).length).toBe(
      names.length,
    );
    expect(fs.existsSync(daemon.socket)).toBe(false);
    expect(daemon.log()).toMatch(/daemon-stopped/);
  });

  it('stops on the stop command with exit code 0', async () => {
    daemon = await startDaemon();
    writeTiles(daemon.inDir, 20, 3);
    await daemon.request('feed', daemon.inDir);
    expect(await daemon.stop()).toBe(0);
    expect(fs.readdirSync(daemon.outDir)).toHaveLength(20);
  });
});

/** Compiles a throwaway plugin whose process() runs `body` (C lines), then returns EDGECAM_OK. */
function compilePlugin(dir: string, name: string, body: string[]): string {
  const source = path.join(dir, `${name}.c`);
  const wasm = path.join(dir, `${name}.wasm`);
  const lines = [
    '#include <stdio.h>',
    '#include "edgecam_plugin.h"',
    'int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *p) {',
    ...body.map((line) => `  ${line}`),
    '  fflush(stdout);',
    '  return EDGECAM_OK;',
    '}',
  ];
  fs.writeFileSync(source, lines.join('\n'));
  const cc = spawnSync('clang-14', [
    '--target=wasm32-wasi',
    '--sysroot=/usr',
    '-O2',
    '-mexec-model=reactor',
    `-I${path.join(ROOT, 'algos')}`,
    '-o',
    wasm,
    source,
  ]);
  expect(cc.status, String(cc.stderr)).toBe(0);
  return wasm;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
