// The native I/O engine (native/addon/) on real files: a real io_uring, real
// FIFOs and child processes, and the synchronous engine through the same tests.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadNative, type Engine, type EngineOptions, type ReadResult } from '../core/native.js';

const native = loadNative();
const probe = native.probeUring();
if (!probe.ok) console.warn(`skipping io_uring engine tests: ${probe.message}`);
const python = spawnSync('python3', ['-c', 'pass']).status === 0;
if (!python) console.warn('skipping the FIFO short-read test: python3 is needed for its writer');

const SLOT_SIZE = 262144;

let dir: string;
let engines: Engine[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-engine-'));
});

afterEach(() => {
  for (const engine of engines) engine.close();
  engines = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(options: EngineOptions): Engine {
  const engine = new native.Engine(options);
  engines.push(engine);
  return engine;
}

/** Pixels that differ per tile, so a mixed-up slot would show. */
function pixels(count: number, seed: number): Buffer {
  const bytes = Buffer.alloc(count);
  let state = seed * 2654435761;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Headers in the layouts netpbm allows: comments, tabs, CRLF, one line. */
const HEADERS = [
  (m: string, w: number, h: number) => `${m}\n${w} ${h}\n255\n`,
  (m: string, w: number, h: number) => `${m}\n# made by a test\n${w}\t${h}\r\n# maxval next\n255\n`,
  (m: string, w: number, h: number) => `${m} ${w} ${h} 200 `,
];

function pnm(channels: 1 | 3, width: number, height: number, seed: number, style = 0): Buffer {
  const header = HEADERS[style % HEADERS.length](channels === 3 ? 'P6' : 'P5', width, height);
  return Buffer.concat([Buffer.from(header, 'ascii'), pixels(width * height * channels, seed)]);
}

function writeFile(name: string, bytes: Buffer | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function failure(result: ReadResult): { code: string; message: string; errno?: number } {
  if (result.ok) throw new Error(`slot ${result.slot} was read but should have failed`);
  return {
    code: result.code,
    message: result.message,
    ...(result.errno ? { errno: result.errno } : {}),
  };
}

describe.each(['uring', 'sync'] as const)('the %s engine', (io) => {
  const skip = io === 'uring' && !probe.ok;

  it.skipIf(skip)(
    'copies PGM, PPM and raw tiles byte for byte and leaves no temp file',
    async () => {
      const engine = open({ slots: 32, slotSize: SLOT_SIZE, io });
      const out = fs.mkdirSync(path.join(dir, 'out'), { recursive: true })!;
      const tiles = Array.from({ length: 32 }, (_, i) => {
        const raw = i % 4 === 3;
        const channels: 1 | 3 = i % 2 === 0 ? 3 : 1;
        const name = raw ? `t${i}.raw` : `t${i}.${channels === 3 ? 'ppm' : 'pgm'}`;
        const bytes = raw ? pixels(48 * 32 * channels, i) : pnm(channels, 64, 48, i, i);
        const format = raw ? { raw: { width: 48, height: 32, channels } } : undefined;
        return { name, bytes, channels, raw, source: writeFile(name, bytes), format };
      });

      const reads = await engine.read(
        tiles.map((tile, slot) => ({ slot, path: tile.source, format: tile.format })),
      );
      reads.forEach((result, slot) => {
        const tile = tiles[slot];
        expect(result).toMatchObject({
          slot,
          ok: true,
          length: tile.bytes.length,
          width: tile.raw ? 48 : 64,
          height: tile.raw ? 32 : 48,
          channels: tile.channels,
          kind: tile.raw ? 'raw' : tile.channels === 3 ? 'ppm' : 'pgm',
        });
      });
      const headerOf = reads[0].ok ? reads[0].headerLength : -1;
      expect(headerOf).toBe(tiles[0].bytes.length - 64 * 48 * 3);

      const writes = await engine.write(
        reads.map((result, slot) => ({
          slot,
          path: path.join(out, tiles[slot].name),
          length: result.ok ? result.length : 0,
        })),
      );
      expect(writes.every((result) => result.ok)).toBe(true);
      for (const tile of tiles) {
        expect(fs.readFileSync(path.join(out, tile.name)).equals(tile.bytes)).toBe(true);
      }
      expect(fs.readdirSync(out).sort()).toEqual(tiles.map((tile) => tile.name).sort());

      const bytes = tiles.reduce((sum, tile) => sum + tile.bytes.length, 0);
      const stats = engine.stats();
      expect(stats).toMatchObject({
        batches: 2,
        tilesRead: 32,
        tilesWritten: 32,
        bytesRead: bytes,
        bytesWritten: bytes,
        shortReads: 0,
        shortWrites: 0,
        errors: 0,
      });
      if (io === 'uring') {
        expect(stats.enters).toBeGreaterThan(0);
        expect(stats.enters).toBeLessThan(32);
        // open, read, close and open, write, close, rename for every tile
        expect(stats.submissions).toBeGreaterThanOrEqual(7 * 32);
      } else {
        expect(stats).toMatchObject({ submissions: 0, enters: 0, completions: 0 });
      }
    },
  );

  it.skipIf(skip || !python)(
    'reads a FIFO tile that arrives in two parts whole, counting the short read',
    async () => {
      const engine = open({ slots: 2, slotSize: SLOT_SIZE, io });
      const tile = pnm(3, 64, 64, 7);
      const source = writeFile('source.ppm', tile);
      const fifo = path.join(dir, 'tile.ppm');
      execFileSync('mkfifo', [fifo]);

      // The writer holds the FIFO open (O_RDWR never blocks), sends the header
      // and half the pixels, waits until they are read, pauses, sends the rest.
      const writer = spawn(
        'python3',
        [
          '-c',
          [
            'import array, fcntl, os, sys, termios, time',
            'data = open(sys.argv[2], "rb").read()',
            'fd = os.open(sys.argv[1], os.O_RDWR)',
            'half = len(data) // 2',
            'os.write(fd, data[:half])',
            'print("ready", flush=True)',
            'left = array.array("i", [1])',
            'while left[0] > 0:',
            '    fcntl.ioctl(fd, termios.FIONREAD, left)',
            '    time.sleep(0.005)',
            'time.sleep(0.1)',
            'os.write(fd, data[half:])',
            'os.close(fd)',
          ].join('\n'),
          fifo,
          source,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      await new Promise((resolve) => writer.stdout.once('data', resolve));

      const [result] = await engine.read([{ slot: 1, path: fifo }]);
      expect(await exited).toBe(0);
      expect(result).toMatchObject({ slot: 1, ok: true, length: tile.length, width: 64 });
      expect(engine.stats().shortReads).toBeGreaterThanOrEqual(1);

      await engine.write([{ slot: 1, path: path.join(dir, 'copy.ppm'), length: tile.length }]);
      expect(fs.readFileSync(path.join(dir, 'copy.ppm')).equals(tile)).toBe(true);
    },
  );

  it.skipIf(skip)('reports each malformed tile with its code and an exact message', async () => {
    const engine = open({ slots: 16, slotSize: SLOT_SIZE, io });
    const good = pnm(3, 2, 2, 1);
    const cases: Array<{ file: string; bytes?: Buffer | string; raw?: boolean; expected: object }> =
      [
        {
          file: 'empty.ppm',
          bytes: '',
          expected: { code: 'EMPTY', message: '$ is empty (0 bytes)' },
        },
        {
          file: 'gif.ppm',
          bytes: 'GIF89a',
          expected: {
            code: 'BAD_HEADER',
            message: "$: not a binary PGM (P5) or PPM (P6): starts with 'GI'",
          },
        },
        {
          file: 'ascii.ppm',
          bytes: 'P3\n1 1\n255\n0 0 0\n',
          expected: {
            code: 'BAD_HEADER',
            message: "$: not a binary PGM (P5) or PPM (P6): starts with 'P3'",
          },
        },
        {
          file: 'truncated.ppm',
          bytes: Buffer.concat([Buffer.from('P6\n256 256\n255\n'), pixels(985, 3)]),
          expected: {
            code: 'TRUNCATED',
            message: '$: 1000 bytes, but its 256x256x3 header needs 196623',
          },
        },
        {
          file: 'long.ppm',
          bytes: Buffer.concat([good, Buffer.from('extra')]),
          expected: {
            code: 'TOO_LONG',
            message: `$: ${good.length + 5} bytes, but its 2x2x3 header needs only ${good.length}`,
          },
        },
        {
          file: 'deep.pgm',
          bytes: Buffer.concat([Buffer.from('P5\n2 2\n65535\n'), pixels(8, 4)]),
          expected: {
            code: 'BAD_MAXVAL',
            message:
              '$: maxval 65535 (16-bit samples) is not supported; expected 1..255 (8-bit samples)',
          },
        },
        {
          file: 'large.ppm',
          bytes: pnm(3, 600, 600, 5),
          expected: {
            code: 'TOO_LARGE',
            message: '$: needs 1080015 bytes but a slot holds 262144; raise --slot-size',
          },
        },
        {
          file: 'narrow.pgm',
          bytes: 'P5\n0 2\n255\n',
          expected: {
            code: 'BAD_HEADER',
            message: '$: bad P5 header: width is 0; expected 1 or more',
          },
        },
        {
          file: 'glued.pgm',
          bytes: 'P5\n1 1\n255x',
          expected: {
            code: 'BAD_HEADER',
            message:
              '$: bad P5 header at byte 10: ' +
              "expected one whitespace character after the maxval, found 'x'",
          },
        },
        {
          file: 'short.raw',
          bytes: pixels(40, 6),
          raw: true,
          expected: { code: 'TRUNCATED', message: '$: 40 bytes, but raw 4x4x3 tiles need 48' },
        },
        {
          file: 'missing.ppm',
          expected: { code: 'ENOENT', errno: 2, message: 'open $: No such file or directory' },
        },
      ];
    const paths = cases.map((c) =>
      c.bytes === undefined ? path.join(dir, c.file) : writeFile(c.file, c.bytes),
    );
    const goodPath = writeFile('good.ppm', good);

    const results = await engine.read([
      ...cases.map((c, slot) => ({
        slot,
        path: paths[slot],
        format: c.raw ? { raw: { width: 4, height: 4, channels: 3 as const } } : undefined,
      })),
      { slot: cases.length, path: goodPath },
    ]);

    cases.forEach((c, slot) => {
      const expected = { ...c.expected } as { message: string };
      expected.message = expected.message.replace('$', paths[slot]);
      expect(failure(results[slot])).toEqual(expected);
    });
    expect(results[cases.length]).toMatchObject({ ok: true, length: good.length });
    expect(engine.stats()).toMatchObject({ tilesRead: 1, errors: cases.length });
  });

  it.skipIf(skip)(
    'reads a tile that fills its slot exactly, and refuses one byte more',
    async () => {
      const engine = open({ slots: 2, slotSize: 4096, io });
      const format = { raw: { width: 64, height: 64, channels: 1 as const } };
      const exact = writeFile('exact.raw', pixels(4096, 15));
      const over = writeFile('over.raw', pixels(4097, 16));

      const results = await engine.read([
        { slot: 0, path: exact, format },
        { slot: 1, path: over, format },
      ]);

      expect(results[0]).toMatchObject({ ok: true, length: 4096, kind: 'raw', headerLength: 0 });
      expect(failure(results[1])).toEqual({
        code: 'TOO_LONG',
        message: `${over}: at least 4097 bytes, but raw 64x64x1 tiles need only 4096`,
      });
    },
  );

  it.skipIf(skip)('reports a failed write with its code and leaves no temp file', async () => {
    const engine = open({ slots: 4, slotSize: SLOT_SIZE, io });
    const tile = pnm(1, 8, 8, 9);
    await engine.read([{ slot: 0, path: writeFile('in.pgm', tile) }]);
    const missing = path.join(dir, 'missing', 'x.pgm');
    const folder = path.join(dir, 'taken.pgm');
    fs.mkdirSync(path.join(folder, 'inside'), { recursive: true });

    const results = await engine.write([
      { slot: 0, path: missing, length: tile.length },
      // The temp file is written, then renaming it over a folder fails.
      { slot: 1, path: folder, length: tile.length },
    ]);

    expect(results).toEqual([
      {
        slot: 0,
        ok: false,
        code: 'ENOENT',
        errno: 2,
        message:
          `open ${missing}: No such file or directory; ` +
          'create the output folder or point --out elsewhere',
      },
      {
        slot: 1,
        ok: false,
        code: 'EISDIR',
        errno: 21,
        message:
          `rename ${folder}: Is a directory; ` + 'check the output folder or point --out elsewhere',
      },
    ]);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['in.pgm', 'taken.pgm']);
    expect(fs.readdirSync(folder)).toEqual(['inside']);
    expect(engine.stats()).toMatchObject({ tilesWritten: 0, errors: 2 });
  });

  it.skipIf(skip)('runs batches that share a slot in the order they were submitted', async () => {
    const engine = open({ slots: 2, slotSize: SLOT_SIZE, io });
    const first = pnm(3, 32, 32, 11);
    const second = pnm(3, 32, 32, 12);
    await engine.read([{ slot: 0, path: writeFile('first.ppm', first) }]);

    // Not awaited in between: the write must take slot 0 before the read refills it.
    const written = engine.write([
      { slot: 0, path: path.join(dir, 'out.ppm'), length: first.length },
    ]);
    const read = engine.read([{ slot: 0, path: writeFile('second.ppm', second) }]);
    expect(await written).toEqual([{ slot: 0, ok: true }]);
    expect((await read)[0]).toMatchObject({ ok: true, length: second.length });

    expect(fs.readFileSync(path.join(dir, 'out.ppm')).equals(first)).toBe(true);
  });

  it.skipIf(skip)('shares its slot pool with a child process given the memfd', async () => {
    const engine = open({ slots: 4, slotSize: 65536, io });
    const tile = pnm(3, 16, 16, 13);
    await engine.read([{ slot: 2, path: writeFile('shared.ppm', tile) }]);

    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const b = Buffer.alloc(${tile.length});
         require('fs').readSync(4, b, 0, b.length, ${2 * 65536});
         process.stdout.write(b.toString('hex'));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit', 'ignore', engine.memfd], encoding: 'utf8' },
    );

    expect(child.status).toBe(0);
    expect(child.stdout).toBe(tile.toString('hex'));
  });

  it.skipIf(skip)('throws for bad arguments, naming the parameter and the value', () => {
    const engine = open({ slots: 4, slotSize: 4096, io });
    const attempts: Array<[() => unknown, string]> = [
      [
        () =>
          engine.read([
            { slot: 0, path: 'a' },
            { slot: 9, path: 'b' },
          ]),
        'Expected an integer between 0 and 3 for batch[1].slot but received 9',
      ],
      [
        () =>
          engine.read([
            { slot: 1, path: 'a' },
            { slot: 1, path: 'b' },
          ]),
        'Expected a slot not used earlier in the same batch for batch[1].slot but received 1',
      ],
      [
        () => engine.write([{ slot: 0, path: 'a', length: 5000 }]),
        'Expected an integer between 1 and 4096 for batch[0].length but received 5000',
      ],
      [
        () => engine.read([{ slot: 0, path: '' }]),
        "Expected a non-empty file path for batch[0].path but received ''",
      ],
      [
        () => new native.Engine({ slots: 0, slotSize: 4096 }),
        'Expected an integer between 1 and 16384 for options.slots but received 0',
      ],
      [
        () => new native.Engine({ slots: 1, slotSize: 4096, io: 'aio' as 'sync' }),
        "Expected 'uring' or 'sync' for options.io but received 'aio'",
      ],
    ];
    for (const [attempt, message] of attempts) {
      expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message }));
    }
  });
});

describe('the uring engine', () => {
  it.skipIf(!probe.ok)('reports the ring flags it got and the memfd it shares', () => {
    const engine = open({ slots: 2, slotSize: 4096 });
    const info = engine.info();
    expect(info).toMatchObject({ io: 'uring', slots: 2, slotSize: 4096 });
    expect(info.flags).toContain('DIRECT_DESCRIPTORS');
    expect(info.registeredBuffers).toBe(info.flags.includes('FIXED_BUFFERS'));
    expect(engine.memfd).toBeGreaterThan(2);
    engine.close();
    expect(engine.memfd).toBe(-1);
  });

  it.skipIf(!probe.ok)(
    'keeps serving other batches while a FIFO tile waits for its writer',
    async () => {
      const engine = open({ slots: 4, slotSize: SLOT_SIZE });
      const fifo = path.join(dir, 'silent.ppm');
      execFileSync('mkfifo', [fifo]);
      // This process holds the FIFO open as a writer that never writes.
      const holder = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      try {
        const stuck = engine.read([{ slot: 0, path: fifo }]);
        const tile = pnm(1, 16, 16, 14);
        const [result] = await engine.read([{ slot: 1, path: writeFile('quick.pgm', tile) }]);
        expect(result).toMatchObject({ slot: 1, ok: true, length: tile.length });

        // close() cancels the FIFO read and rejects its batch.
        const rejected = expect(stuck).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
        engine.close();
        await rejected;
        await expect(engine.read([{ slot: 1, path: fifo }])).rejects.toMatchObject({
          code: 'ENGINE_CLOSED',
        });
      } finally {
        fs.closeSync(holder);
      }
    },
  );
});
