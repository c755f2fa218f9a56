// Each image plugin in algos/, run by the real algorithm host on tiles cut from a sample photo
// and on small synthetic tiles with hard edges, compared pixel by pixel with a reference computed
// here from the formula in docs/plugins.md. The hostile plugins are tested with the host.

import path from 'node:path';

import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, runTiles, type TileInput } from './helpers/host-harness.js';

interface Tile {
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Buffer;
}

const PLUGIN_DIR = path.join(REPO_ROOT, 'build/algos');
const PHOTO = path.join(REPO_ROOT, 'img_samples/coffee.png');

let tiles: Tile[] = [];

/** A region of the sample photo, as RGB or as sharp's own gray. */
async function photoTile(channels: 1 | 3): Promise<Tile> {
  const region = { left: 220, top: 120, width: 96, height: 64 };
  const pixels = await sharp(PHOTO)
    .extract(region)
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer();
  return { name: `coffee ${channels === 1 ? 'gray' : 'RGB'}`, ...region, channels, pixels };
}

/** Flat areas, a vertical step, a bright square touching the border and a diagonal. */
function edgeTile(channels: 1 | 3): Tile {
  const width = 24;
  const height = 16;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = x < 11 ? [12, 40, 90] : [230, 190, 35];
      if (x >= 18 && y < 5) rgb = [255, 255, 255];
      if (x === y) rgb = [0, 128, 255];
      for (let c = 0; c < channels; c++) {
        pixels[(y * width + x) * channels + c] = channels === 1 ? (rgb[0] + rgb[1]) >> 1 : rgb[c];
      }
    }
  }
  return { name: `edges ${channels === 1 ? 'gray' : 'RGB'}`, width, height, channels, pixels };
}

/** Tiles one pixel wide or high, where every window reaches past an edge. */
function thinTiles(): Tile[] {
  return [
    { name: '1x1 RGB', width: 1, height: 1, channels: 3, pixels: Buffer.from([200, 100, 50]) },
    {
      name: '5x1 gray',
      width: 5,
      height: 1,
      channels: 1,
      pixels: Buffer.from([0, 50, 255, 7, 90]),
    },
  ];
}

beforeAll(async () => {
  tiles = [await photoTile(3), await photoTile(1), edgeTile(3), edgeTile(1), ...thinTiles()];
});

// References: plain TypeScript from the formulas, sharing nothing with the plugins.

function at(tile: Tile, x: number, y: number, c: number): number {
  return tile.pixels[(y * tile.width + x) * tile.channels + c];
}

/** Rec. 601 luma in floating point, rounded to nearest. */
function lumaFloat(tile: Tile, x: number, y: number): number {
  if (tile.channels === 1) return at(tile, x, y, 0);
  return Math.round(
    0.299 * at(tile, x, y, 0) + 0.587 * at(tile, x, y, 1) + 0.114 * at(tile, x, y, 2),
  );
}

/**
 * Rec. 601 luma rounded half up without floating-point error: the weights are whole thousandths,
 * so the sum in thousandths is exact. Threshold and Sobel need this exactness, since a luma one
 * off can flip a pixel from 0 to 255.
 */
function lumaExact(tile: Tile, x: number, y: number): number {
  if (tile.channels === 1) return at(tile, x, y, 0);
  const thousandths = 299 * at(tile, x, y, 0) + 587 * at(tile, x, y, 1) + 114 * at(tile, x, y, 2);
  return Math.floor((thousandths + 500) / 1000);
}

/** Builds a tile's expected bytes from a function of (x, y, channel). */
function expected(tile: Tile, value: (x: number, y: number, c: number) => number): Buffer {
  const out = Buffer.alloc(tile.pixels.length);
  for (let y = 0; y < tile.height; y++) {
    for (let x = 0; x < tile.width; x++) {
      for (let c = 0; c < tile.channels; c++) {
        out[(y * tile.width + x) * tile.channels + c] = value(x, y, c);
      }
    }
  }
  return out;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

const reference = {
  grayscale: (t: Tile) => expected(t, (x, y) => lumaFloat(t, x, y)),
  invert: (t: Tile) => expected(t, (x, y, c) => 255 - at(t, x, y, c)),
  boxBlur: (t: Tile, r: number) =>
    expected(t, (x, y, c) => {
      let sum = 0;
      let count = 0;
      for (let wy = Math.max(0, y - r); wy <= Math.min(t.height - 1, y + r); wy++) {
        for (let wx = Math.max(0, x - r); wx <= Math.min(t.width - 1, x + r); wx++) {
          sum += at(t, wx, wy, c);
          count++;
        }
      }
      return Math.round(sum / count);
    }),
  sobel: (t: Tile) =>
    expected(t, (x, y) => {
      const l = (dx: number, dy: number) =>
        lumaExact(t, clamp(x + dx, 0, t.width - 1), clamp(y + dy, 0, t.height - 1));
      const gx = l(1, -1) + 2 * l(1, 0) + l(1, 1) - (l(-1, -1) + 2 * l(-1, 0) + l(-1, 1));
      const gy = l(-1, 1) + 2 * l(0, 1) + l(1, 1) - (l(-1, -1) + 2 * l(0, -1) + l(1, -1));
      return Math.min(255, Math.abs(gx) + Math.abs(gy));
    }),
  threshold: (t: Tile, level: number) =>
    expected(t, (x, y) => (lumaExact(t, x, y) >= level ? 255 : 0)),
  brightnessContrast: (t: Tile, brightness: number, contrast: number) =>
    expected(t, (x, y, c) =>
      clamp(Math.round((at(t, x, y, c) - 128) * contrast + 128 + brightness), 0, 255),
    ),
};

/** The first byte further than `tolerance` from the reference, described, or undefined. */
function firstMismatch(tile: Tile, got: Buffer, want: Buffer, tolerance: number) {
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > tolerance) {
      const pixel = Math.floor(i / tile.channels);
      const where = `x ${pixel % tile.width}, y ${Math.floor(pixel / tile.width)}`;
      const channel = i % tile.channels;
      return `${tile.name} at ${where}, channel ${channel}: ${got[i]}, expected ${want[i]}`;
    }
  }
  return undefined;
}

/**
 * Runs `plugin` on every tile with each argument list (one host for all) and checks every
 * byte against the reference.
 */
async function expectPlugin(
  plugin: string,
  cases: { args: number[]; want: (tile: Tile) => Buffer }[],
  tolerance: number,
): Promise<void> {
  const runs = cases.flatMap(({ args, want }) => tiles.map((tile) => ({ tile, args, want })));
  const inputs: TileInput[] = runs.map(({ tile, args }) => ({ ...tile, args }));
  const results = await runTiles({ plugin: path.join(PLUGIN_DIR, `${plugin}.wasm`) }, inputs);

  for (const [i, { tile, args, want }] of runs.entries()) {
    const label = `${plugin} [${args.join(', ')}] on ${tile.name}`;
    expect([results[i].outcome, results[i].detail], label).toEqual(['ok', 0]);
    expect(firstMismatch(tile, results[i].pixels, want(tile), tolerance), label).toBeUndefined();
  }
}

describe('image plugins, compared pixel by pixel with their formulas', () => {
  it('grayscale writes Rec. 601 luma to all channels and leaves gray tiles alone', async () => {
    // Tolerance 1: the plugin rounds exact thousandths, the reference rounds a float.
    await expectPlugin('grayscale', [{ args: [], want: reference.grayscale }], 1);
  });

  it('invert writes 255 - v on every channel', async () => {
    await expectPlugin('invert', [{ args: [], want: reference.invert }], 0);
  });

  it('box-blur writes the rounded mean of its window, cut to the tile', async () => {
    await expectPlugin(
      'box-blur',
      [
        { args: [], want: (t) => reference.boxBlur(t, 1) },
        { args: [2], want: (t) => reference.boxBlur(t, 2) },
        { args: [16], want: (t) => reference.boxBlur(t, 16) },
      ],
      0,
    );
  });

  it('sobel writes |Gx| + |Gy| of the luma, clamped, with edge pixels repeated', async () => {
    await expectPlugin('sobel', [{ args: [], want: reference.sobel }], 0);
  });

  it('threshold writes 255 where the luma reaches the level and 0 elsewhere', async () => {
    await expectPlugin(
      'threshold',
      [
        { args: [], want: (t) => reference.threshold(t, 128) },
        { args: [60], want: (t) => reference.threshold(t, 60) },
        { args: [0], want: (t) => reference.threshold(t, 0) },
        { args: [127.5], want: (t) => reference.threshold(t, 127.5) },
      ],
      0,
    );
  });

  it('brightness-contrast writes clamp(round((v - 128) * k + 128 + brightness))', async () => {
    await expectPlugin(
      'brightness-contrast',
      [
        { args: [], want: (t) => reference.brightnessContrast(t, 0, 1) },
        { args: [40, 1.5], want: (t) => reference.brightnessContrast(t, 40, 1.5) },
        { args: [-30, 0.5], want: (t) => reference.brightnessContrast(t, -30, 0.5) },
        { args: [255, 4], want: (t) => reference.brightnessContrast(t, 255, 4) },
      ],
      1,
    );
  });

  it('the references are not trivial: every plugin changes the photo tile', () => {
    const photo = tiles[0];
    const outputs = [
      reference.grayscale(photo),
      reference.invert(photo),
      reference.boxBlur(photo, 1),
      reference.sobel(photo),
      reference.threshold(photo, 128),
      reference.brightnessContrast(photo, 40, 1.5),
    ];
    for (const output of outputs) expect(output.equals(photo.pixels)).toBe(false);
    // Threshold of a photo gives both black and white; Sobel finds edges and flat areas.
    const levels = new Set(reference.threshold(photo, 128));
    expect([...levels].sort((a, b) => a - b)).toEqual([0, 255]);
    const edges = reference.sobel(tiles[2]);
    expect(edges.includes(0) && edges.includes(255)).toBe(true);
  });
});

describe('image plugins refuse nonsense arguments', () => {
  const refused: [string, number[]][] = [
    ['grayscale', [1]],
    ['invert', [0]],
    ['box-blur', [0]],
    ['box-blur', [17]],
    ['box-blur', [2.5]],
    ['box-blur', [NaN]],
    ['sobel', [3]],
    ['threshold', [-1]],
    ['threshold', [256]],
    ['threshold', [128, 1]],
    ['brightness-contrast', [-256]],
    ['brightness-contrast', [0, 4.5]],
    ['brightness-contrast', [0, -1]],
    ['brightness-contrast', [Infinity, 1]],
  ];

  // Named with the arguments as typed (JSON would print NaN as null).
  const cases = refused.map(([plugin, args]) => [plugin, `[${args.join(', ')}]`, args] as const);

  it.each(cases)(
    '%s %s ends with outcome plugin, detail 1, and the tile untouched',
    async (plugin, _shown, args) => {
      const tile = tiles[2];
      const [result] = await runTiles({ plugin: path.join(PLUGIN_DIR, `${plugin}.wasm`) }, [
        { ...tile, args: [...args] },
      ]);
      expect([result.outcome, result.detail]).toEqual(['plugin', 1]);
      expect(result.pixels.equals(tile.pixels)).toBe(true);
    },
  );
});
