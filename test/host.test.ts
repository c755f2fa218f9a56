// The algorithm host (build/host/edgecam-host) with real Wasmtime: its modes, the compiled-module
// cache, the limits on hostile plugins, renewal of broken instances, and the fd-3 protocol.
// Needs: bash scripts/setup.sh (or fetch-wasmtime.sh, native/host/build.sh and algos/build).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { MSG_SIZE, encodeRun } from '../core/host-protocol.js';
import {
  HOST_PATH,
  HostCompileError,
  HostSession,
  REPO_ROOT,
  compilePlugin,
  hostIsBuilt,
  runHostCommand,
  runTile,
  runTiles,
  scratch,
} from './helpers/host-harness.js';

const ALGOS = path.join(REPO_ROOT, 'build/algos');
const plugin = (name: string) => path.join(ALGOS, `${name}.wasm`);

// Trap codes of wasmtime/trap.h (49.0.0) and return codes of algos/edgecam_plugin.h.
const TRAP_UNREACHABLE = 9;
const TRAP_INTERRUPT = 10;
const ERR_DENIED = 3;
const ERR_NOMEM = 2;

// Detail of a BAD_INPUT outcome (docs/host.md).
const BAD_INPUT_SLOT = 2;
const BAD_INPUT_RANGE = 3;

// A test plugin whose behaviour the first argument picks, so that one host can be seen to fail
// and then succeed on the next tile. Compiled with clang like algos/build compiles plugins.
const MOODY_SOURCE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "edgecam_plugin.h"

static void *volatile hoard;

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *p) {
  int mode = p->argc > 0 ? (int)p->argv[0] : 0;
  struct timespec nap = {1, 0};

  switch (mode) {
  case 1: /* loop until the deadline */
    for (;;)
      buf[0]++;
  case 2: /* grab memory until refused, then trap */
    for (;;) {
      void **block = malloc(1 << 20);
      if (block == 0)
        __builtin_trap();
      *block = hoard;
      hoard = block;
    }
  case 3: /* print to stdout, then succeed unchanged */
    printf("moody says hello\n");
    fflush(stdout);
    return EDGECAM_OK;
  case 4: /* a plugin's own error */
    return 7;
  case 5: /* try to sleep: the host must refuse at once */
    return nanosleep(&nap, 0) == 0 ? EDGECAM_OK : EDGECAM_ERR_DENIED;
  case 6: /* exit() ends the instance */
    exit(3);
  }
  for (uint32_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(255 - buf[i]);
  return EDGECAM_OK;
}
`;

const MODE_INVERT = 0;
const MODE_LOOP = 1;
const MODE_GRAB = 2;
const MODE_PRINT = 3;
const MODE_OWN_ERROR = 4;
const MODE_SLEEP = 5;
const MODE_EXIT = 6;

// A core module that exports only a memory: valid WebAssembly without the ABI's `process`.
const MEMORY_ONLY_MODULE = Buffer.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x05, 0x03, 0x01, 0x00, 0x01], // memory section: one memory, min 1 page
  ...[0x07, 0x0a, 0x01, 0x06, ...Buffer.from('memory'), 0x02, 0x00], // export "memory"
]);

function clangForWasm(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v clang-14'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function buildMoody(clang: string): string {
  const source = path.join(scratch(), 'moody.c');
  const wasm = path.join(scratch(), 'moody.wasm');
  fs.writeFileSync(source, MOODY_SOURCE);
  const result = spawnSync(
    clang,
    [
      '--target=wasm32-wasi',
      '--sysroot=/usr',
      '-O2',
      '-mexec-model=reactor',
      `-I${path.join(REPO_ROOT, 'algos')}`,
      '-o',
      wasm,
      source,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`clang could not build moody.c: ${result.stderr}`);
  return wasm;
}

function rgbTile(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i % 3) * 91) & 0xff;
  return pixels;
}

const HOSTILE = ['loop-forever', 'grab-memory', 'trap', 'open-file'];
const clang = clangForWasm();
if (!clang) {
  console.warn(
    'host tests with a failing-on-request plugin skipped: clang-14 is missing (apt-get install clang-14)',
  );
}

describe('edgecam-host', () => {
  const sessions: HostSession[] = [];
  const open = (options: ConstructorParameters<typeof HostSession>[0]) => {
    const session = new HostSession(options);
    sessions.push(session);
    return session;
  };

  beforeAll(() => {
    if (!hostIsBuilt()) throw new Error(`${HOST_PATH} is missing: run bash native/host/build.sh`);
    const missing = ['grayscale', ...HOSTILE.map((name) => `hostile/${name}`)].filter(
      (name) => !fs.existsSync(plugin(name)),
    );
    if (missing.length > 0) {
      throw new Error(`build/algos lacks ${missing.join(', ')}: run bash algos/build`);
    }
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.kill()));
  });

  it('names its own version and the Wasmtime version it loaded', () => {
    const run = runHostCommand(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('edgecam-host 0.1.0 wasmtime 49.0.0\n');
  });

  it('prints the same engine key every time, naming the Wasmtime version and epochs', () => {
    const first = runHostCommand(['--engine-key']).stdout.trim();
    const second = runHostCommand(['--engine-key']).stdout.trim();
    expect(first).toMatch(/^wasmtime49\.0\.0-x86_64-cranelift-speed-epoch-nofuel-cpu[0-9a-f]+$/);
    expect(second).toBe(first);
  });

  it('refuses a bad argument with the option, what it expected and what it received', () => {
    const run = runHostCommand(['--module', 'x.cwasm', '--slots', 'many', '--slot-size', '8']);
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stderr)).toEqual({
      code: 'USAGE',
      message: "expected an integer from 1 to 65536 for --slots, received 'many'",
      hint: 'run edgecam-host --help for the usage',
    });
  });

  it('refuses to compile a file that is not WebAssembly, with code NOT_WASM', () => {
    const notWasm = path.join(scratch(), 'not-a-plugin.txt');
    const out = path.join(scratch(), 'not-a-plugin.cwasm');
    fs.writeFileSync(notWasm, 'P5 16 16 255\n');

    const run = runHostCommand(['--compile', notWasm, '--out', out]);
    const lines = run.stderr.trim().split('\n');
    expect(run.status).toBe(2);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ code: 'NOT_WASM' });
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses to compile a module without process, with code MISSING_EXPORT', () => {
    const wasm = path.join(scratch(), 'memory-only.wasm');
    fs.writeFileSync(wasm, MEMORY_ONLY_MODULE);

    expect(() => compilePlugin(wasm)).toThrow(HostCompileError);
    try {
      compilePlugin(wasm);
    } catch (error) {
      expect((error as HostCompileError).code).toBe('MISSING_EXPORT');
      expect((error as HostCompileError).message).toContain("does not export 'process'");
    }
  });

  it('loads a compiled module from the cache and says so in READY', async () => {
    const cwasm = compilePlugin(plugin('grayscale'));
    const fromCache = open({ module: cwasm, slots: 1, slotSize: 64 });
    const compiled = open({ module: plugin('grayscale'), slots: 1, slotSize: 64 });

    const [cached, fresh] = await Promise.all([fromCache.ready, compiled.ready]);
    expect(cached.fromCache).toBe(true);
    expect(cached.pid).toBe(fromCache.child.pid);
    expect(fresh.fromCache).toBe(false);
  });

  it('turns an RGB tile gray in place in the slot', async () => {
    const pixels = rgbTile(16, 8);
    const result = await runTile({
      plugin: plugin('grayscale'),
      pixels,
      width: 16,
      height: 8,
      channels: 3,
    });

    expect(result.outcome).toBe('ok');
    expect(result.pixels.equals(pixels)).toBe(false);
    for (let i = 0; i < result.pixels.length; i += 3) {
      expect(result.pixels[i + 1]).toBe(result.pixels[i]);
      expect(result.pixels[i + 2]).toBe(result.pixels[i]);
    }
    expect(result.memoryBytes).toBeGreaterThan(0);
  });

  it('interrupts loop-forever at its deadline and renews the instance for the next tile', async () => {
    const tile = { pixels: rgbTile(8, 8), width: 8, height: 8, channels: 3 as const };
    const [first, second] = await runTiles(
      { plugin: plugin('hostile/loop-forever'), deadlineMs: 50 },
      [tile, tile],
    );

    expect(first).toMatchObject({ outcome: 'timeout', detail: TRAP_INTERRUPT, renewals: 0 });
    // The deadline is 50 ticks of 1 ms: the call cannot end before them.
    expect(first.execUs).toBeGreaterThanOrEqual(49_000);
    // The tile is left as it was read: a failed call never writes back.
    expect(first.pixels.equals(tile.pixels)).toBe(true);
    expect(second).toMatchObject({ outcome: 'timeout', renewals: 1 });
  });

  it('stops grab-memory at the memory limit and goes on with the next tile', async () => {
    const tile = { pixels: rgbTile(8, 8), width: 8, height: 8, channels: 3 as const };
    const results = await runTiles({ plugin: plugin('hostile/grab-memory'), memoryMb: 16 }, [
      tile,
      tile,
    ]);

    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({ outcome: 'memory', detail: ERR_NOMEM, renewals: i });
      expect(result.memoryBytes).toBeLessThanOrEqual(16 << 20);
      expect(result.memoryBytes).toBeGreaterThan(15 << 20);
    }
  });

  it('reports trap as TRAP with the unreachable trap code and renews the instance', async () => {
    const tile = { pixels: rgbTile(4, 4), width: 4, height: 4, channels: 3 as const };
    const results = await runTiles({ plugin: plugin('hostile/trap') }, [tile, tile]);

    expect(results.map((r) => [r.outcome, r.detail, r.renewals])).toEqual([
      ['trap', TRAP_UNREACHABLE, 0],
      ['trap', TRAP_UNREACHABLE, 1],
    ]);
  });

  it('gives open-file no file to read: it is denied and the tile is untouched', async () => {
    const pixels = rgbTile(32, 32);
    const result = await runTile({
      plugin: plugin('hostile/open-file'),
      pixels,
      width: 32,
      height: 32,
      channels: 3,
    });

    expect(result).toMatchObject({ outcome: 'plugin', detail: ERR_DENIED, renewals: 0 });
    expect(result.pixels.equals(pixels)).toBe(true);
  });

  it('answers a RUN with a bad slot or range with BAD_INPUT and keeps serving', async () => {
    const session = open({ module: compilePlugin(plugin('grayscale')), slots: 2, slotSize: 48 });
    await session.ready;
    session.writeSlot(1, rgbTile(4, 4));

    const badSlot = await session.run({ slot: 2, length: 48, width: 4, height: 4, channels: 3 });
    const badRange = session.run({
      slot: 1,
      offset: 8,
      length: 48,
      width: 4,
      height: 4,
      channels: 3,
    });
    const good = session.run({ slot: 1, length: 48, width: 4, height: 4, channels: 3 });

    expect(badSlot).toMatchObject({ outcome: 'bad-input', detail: BAD_INPUT_SLOT, slot: 2 });
    expect(await badRange).toMatchObject({ outcome: 'bad-input', detail: BAD_INPUT_RANGE });
    expect(await good).toMatchObject({ outcome: 'ok', slot: 1 });
    const gray = session.readSlot(1, 48);
    expect(gray[1]).toBe(gray[0]);
  });

  it('reassembles RUN messages split across writes and several in one write', async () => {
    const session = open({ module: compilePlugin(plugin('grayscale')), slots: 3, slotSize: 48 });
    await session.ready;
    const runs = Buffer.alloc(MSG_SIZE * 3);
    for (let slot = 0; slot < 3; slot++) {
      session.writeSlot(slot, rgbTile(4, 4));
      const run = { slot, tileId: 100 + slot, offset: 0, length: 48, width: 4, height: 4 };
      const geometry = { channels: 3, stride: 12, tileX: 0, tileY: 0, args: [] };
      encodeRun({ ...run, ...geometry }, runs, slot * MSG_SIZE);
    }

    // Half a message, then the rest of it with two more whole ones.
    const first = session.sendRaw(runs.subarray(0, 50), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rest = session.sendRaw(runs.subarray(50), 2);
    const done = await Promise.all([...first, ...rest]);

    expect(done.map((d) => [d.tileId, d.outcome])).toEqual([
      [100, 'ok'],
      [101, 'ok'],
      [102, 'ok'],
    ]);
  });

  it('exits 0 when the daemon closes fd 3', async () => {
    const session = open({ module: compilePlugin(plugin('grayscale')), slots: 1, slotSize: 16 });
    await session.ready;
    expect(await session.close()).toEqual({ code: 0, signal: null });
  });

  it('sends FATAL and exits 2 when the module cannot serve', async () => {
    const wasm = path.join(scratch(), 'memory-only-serve.wasm');
    fs.writeFileSync(wasm, MEMORY_ONLY_MODULE);
    const session = open({ module: wasm, slots: 1, slotSize: 16 });

    await expect(session.ready).rejects.toThrow(/FATAL MISSING_EXPORT/);
    expect((await session.exited).code).toBe(2);
    expect(JSON.parse(session.stderr)).toMatchObject({ code: 'MISSING_EXPORT', host: 'test' });
  });

  it('sends FATAL when the pool on fd 4 is smaller than slots times slot size', async () => {
    const module = compilePlugin(plugin('grayscale'));
    const session = open({ module, slots: 4, slotSize: 16, poolBytes: 32 });

    await expect(session.ready).rejects.toThrow(/FATAL SLOT_POOL: the pool on fd 4 is 32 bytes/);
    expect((await session.exited).code).toBe(2);
  });

  it('sends FATAL INSTANTIATE when a slot cannot fit under the memory limit', async () => {
    const module = compilePlugin(plugin('grayscale'));
    const session = open({ module, slots: 1, slotSize: 2 << 20, memoryMb: 1 });

    await expect(session.ready).rejects.toThrow(/FATAL INSTANTIATE: edgecam_alloc\(2097248\)/);
    expect(JSON.parse(session.stderr)).toMatchObject({
      hint: 'raise --memory-mb, or use smaller slots',
    });
  });

  describe.skipIf(!clang)('with a plugin that fails on request', () => {
    let moody: string;
    beforeAll(() => {
      moody = buildMoody(clang!);
    });

    const tile = (mode: number) => ({
      pixels: Buffer.from([10, 20, 30, 40, 50, 60]),
      width: 2,
      height: 1,
      channels: 3 as const,
      args: [mode],
    });

    it('succeeds on the tile after a timeout, in a renewed instance', async () => {
      const results = await runTiles({ plugin: moody, deadlineMs: 20 }, [
        tile(MODE_LOOP),
        tile(MODE_INVERT),
      ]);
      expect(results.map((r) => [r.outcome, r.renewals])).toEqual([
        ['timeout', 0],
        ['ok', 1],
      ]);
      expect([...results[1].pixels]).toEqual([245, 235, 225, 215, 205, 195]);
    });

    it('calls a trap at the memory limit MEMORY, then serves the next tile', async () => {
      const results = await runTiles({ plugin: moody, memoryMb: 8 }, [
        tile(MODE_GRAB),
        tile(MODE_INVERT),
      ]);
      expect(results[0]).toMatchObject({ outcome: 'memory', detail: TRAP_UNREACHABLE });
      expect(results[1]).toMatchObject({ outcome: 'ok', renewals: 1 });
    });

    it('reports a plugin error code as PLUGIN and keeps the instance', async () => {
      const results = await runTiles({ plugin: moody }, [tile(MODE_OWN_ERROR), tile(MODE_INVERT)]);
      expect(results.map((r) => [r.outcome, r.detail, r.renewals])).toEqual([
        ['plugin', 7, 0],
        ['ok', 0, 0],
      ]);
    });

    it('refuses to let a plugin sleep inside the host', async () => {
      const result = await runTile({ plugin: moody, deadlineMs: 5000, ...tile(MODE_SLEEP) });
      expect(result).toMatchObject({ outcome: 'plugin', detail: ERR_DENIED });
    });

    it('treats exit() as the end of the instance and renews it', async () => {
      const results = await runTiles({ plugin: moody }, [tile(MODE_EXIT), tile(MODE_INVERT)]);
      expect(results.map((r) => [r.outcome, r.detail, r.renewals])).toEqual([
        ['trap', -1, 0],
        ['ok', 0, 1],
      ]);
    });

    it("passes the plugin's stdout through the host's stdout", async () => {
      const session = open({ module: compilePlugin(moody), slots: 1, slotSize: 6 });
      await session.ready;
      session.writeSlot(0, tile(MODE_PRINT).pixels);
      const done = await session.run({ ...tile(MODE_PRINT), slot: 0, length: 6 });
      await session.close();
      expect(done.outcome).toBe('ok');
      expect(session.stdout).toBe('moody says hello\n');
    });
  });
});
