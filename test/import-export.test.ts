// Import cuts a photo into PNM tiles and export puts them back: checked pixel by pixel against
// a photo generated here with sharp, with real files in a temporary folder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportMosaic, exportMosaics } from '../shell/mosaic-export.js';
import { importIsCurrent, importPhoto } from '../shell/tile-import.js';

const WIDTH = 600;
const HEIGHT = 400;

let work: string;
let photo: string;
let original: Buffer;

/** RGB pixels with a different value at every position, so a misplaced tile shows. */
function makePixels(width: number, height: number, seed: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = (state >>> 16) & 0xff;
  }
  return pixels;
}

async function writePng(file: string, pixels: Buffer, width: number, height: number) {
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

/** Splits a binary PNM file into its header text and its pixel bytes. */
function readPnm(file: string): { header: string; pixels: Buffer } {
  const bytes = fs.readFileSync(file);
  let newlines = 0;
  let at = 0;
  while (newlines < 3) if (bytes[at++] === 0x0a) newlines++;
  return { header: bytes.subarray(0, at).toString('ascii'), pixels: bytes.subarray(at) };
}

/** Decodes a PNG as stored: sharp's raw output would otherwise expand gray to RGB. */
async function decodeRaw(file: string): Promise<{ data: Buffer; channels: number }> {
  const { channels } = await sharp(file).metadata();
  const data = await sharp(file)
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer();
  return { data, channels: channels ?? 0 };
}

function freshDir(name: string): string {
  const dir = path.join(work, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-import-'));
  photo = path.join(work, 'field.png');
  original = makePixels(WIDTH, HEIGHT, 7);
  await writePng(photo, original, WIDTH, HEIGHT);
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('importPhoto', () => {
  it('cuts 600x400 into 3x2 tiles of 256 equal to the source, edges replicated', async () => {
    const dir = freshDir('rgb');
    const result = await importPhoto(photo, dir, { tile: 256 });

    expect(result).toMatchObject({ tiles: 6, width: 600, height: 400, cols: 3, rows: 2 });
    expect(result.files.map((f) => path.basename(f))).toEqual([
      'field_r000_c000.ppm',
      'field_r000_c001.ppm',
      'field_r000_c002.ppm',
      'field_r001_c000.ppm',
      'field_r001_c001.ppm',
      'field_r001_c002.ppm',
    ]);

    for (const [i, file] of result.files.entries()) {
      const { header, pixels } = readPnm(file);
      expect(header).toBe('P6\n256 256\n255\n');
      expect(pixels.length).toBe(256 * 256 * 3);

      // Past the photo's right and bottom edges the last column and row repeat.
      const left = (i % 3) * 256;
      const top = Math.floor(i / 3) * 256;
      let wrong = 0;
      for (let y = 0; y < 256; y++) {
        const sy = Math.min(top + y, HEIGHT - 1);
        for (let x = 0; x < 256; x++) {
          const sx = Math.min(left + x, WIDTH - 1);
          for (let c = 0; c < 3; c++) {
            if (pixels[(y * 256 + x) * 3 + c] !== original[(sy * WIDTH + sx) * 3 + c]) wrong++;
          }
        }
      }
      expect(wrong, `wrong bytes in ${path.basename(file)}`).toBe(0);
    }
  });

  it('writes a manifest with the original size and the tile geometry', async () => {
    const dir = freshDir('manifest');
    await importPhoto(photo, dir, { tile: 256 });

    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'field.tiles.json'), 'utf8'));
    expect(manifest).toEqual({
      source: 'field.png',
      width: 600,
      height: 400,
      tile: 256,
      cols: 3,
      rows: 2,
      channels: 3,
    });
    expect(await importIsCurrent(photo, dir, { tile: 256 })).toBe(true);
    expect(await importIsCurrent(photo, dir, { tile: 128 })).toBe(false);
    expect(await importIsCurrent(photo, dir, { tile: 256, gray: true })).toBe(false);
  });

  it('writes binary PGM tiles with gray', async () => {
    const dir = freshDir('gray');
    const result = await importPhoto(photo, dir, { tile: 256, gray: true });

    expect(path.basename(result.files[0])).toBe('field_r000_c000.pgm');
    const { header, pixels } = readPnm(result.files[5]);
    expect(header).toBe('P5\n256 256\n255\n');
    expect(pixels.length).toBe(256 * 256);
  });

  it('replaces the tiles of an earlier import of the same photo', async () => {
    const dir = freshDir('again');
    await importPhoto(photo, dir, { tile: 128 });
    const result = await importPhoto(photo, dir, { tile: 256 });

    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(
      [...result.files.map((f) => path.basename(f)), 'field.tiles.json'].sort(),
    );
  });

  it('refuses a truncated JPEG with BAD_IMAGE and a message naming the file', async () => {
    const jpeg = await sharp(original, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .jpeg()
      .toBuffer();
    const truncated = path.join(work, 'truncated.jpg');
    fs.writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));

    const error = await importPhoto(truncated, freshDir('bad-jpeg'), { tile: 256 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'BAD_IMAGE',
      hint:
        'give a PNG or JPEG photograph that opens in an image viewer; ' +
        're-save or re-download this one',
    });
    expect((error as Error).message).toMatch(
      new RegExp(`^Cannot decode ${truncated} as an image: .*premature end`, 'i'),
    );
  });

  it('refuses a text file with BAD_IMAGE and a message naming the file', async () => {
    const text = path.join(work, 'notes.png');
    fs.writeFileSync(text, 'these are notes, not pixels\n');

    const error = await importPhoto(text, freshDir('bad-text'), { tile: 256 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'BAD_IMAGE' });
    expect((error as Error).message).toBe(
      `Cannot decode ${text} as an image: Input file contains unsupported image format`,
    );
  });

  it('refuses a tile size out of range with the usage', async () => {
    const error = await importPhoto(photo, freshDir('bad-tile'), { tile: 3 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'USAGE',
      message: 'Expected a whole number of pixels in 8..4096 for --tile but received 3',
      hint: 'usage: import PHOTO --tile 256 [--gray]',
    });
  });
});

describe('exportMosaic', () => {
  it('rebuilds a PNG whose pixels equal the original exactly', async () => {
    const dir = freshDir('round-trip');
    await importPhoto(photo, dir, { tile: 256 });

    const to = path.join(work, 'round-trip.png');
    const result = await exportMosaic(dir, to);

    expect(result).toEqual({
      path: to,
      width: 600,
      height: 400,
      tiles: 6,
      missing: [],
      unreadable: [],
    });
    const decoded = await decodeRaw(to);
    expect(decoded.channels).toBe(3);
    expect(decoded.data.equals(original)).toBe(true);
  });

  it('rebuilds a gray PNG from PGM tiles', async () => {
    const dir = freshDir('gray-trip');
    await importPhoto(photo, dir, { tile: 256, gray: true });
    const expected = await sharp(photo).toColourspace('b-w').raw().toBuffer();

    const result = await exportMosaic(dir, path.join(work, 'gray-trip.png'));

    const decoded = await decodeRaw(result.path);
    expect(decoded.channels).toBe(1);
    expect(decoded.data.equals(expected)).toBe(true);
  });

  it('draws a missing tile as a checkerboard and lists it', async () => {
    const dir = freshDir('missing');
    const { files } = await importPhoto(photo, dir, { tile: 256 });
    fs.rmSync(files[4]);

    const result = await exportMosaic(dir, path.join(work, 'missing.png'));

    expect(result.tiles).toBe(5);
    expect(result.missing).toEqual(['field_r001_c001.ppm']);
    const { data } = await decodeRaw(result.path);
    const at = (x: number, y: number) => [
      ...data.subarray((y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3),
    ];
    // Tile (1, 1) starts at (256, 256): magenta in its first square, dark in the next.
    expect(at(256, 256)).toEqual([255, 0, 255]);
    expect(at(256 + 16, 256)).toEqual([32, 32, 32]);
    expect(at(256 + 16, 256 + 16)).toEqual([255, 0, 255]);
    // Its neighbours are untouched.
    expect(at(255, 256)).toEqual([
      ...original.subarray((256 * WIDTH + 255) * 3, (256 * WIDTH + 256) * 3),
    ]);
  });

  it('lists a truncated tile as missing, with the reason', async () => {
    const dir = freshDir('truncated-tile');
    const { files } = await importPhoto(photo, dir, { tile: 256 });
    fs.truncateSync(files[0], 1000);

    const result = await exportMosaic(dir, path.join(work, 'truncated-tile.png'));

    expect(result.missing).toEqual(['field_r000_c000.ppm']);
    expect(result.unreadable).toEqual([
      { file: 'field_r000_c000.ppm', reason: 'holds 985 of 196608 pixel bytes' },
    ]);
  });

  it('uses a manifest from another folder for tiles processed elsewhere', async () => {
    const tilesDir = freshDir('tiles-in');
    const outDir = freshDir('tiles-out');
    const { files } = await importPhoto(photo, tilesDir, { tile: 256 });
    for (const file of files) fs.copyFileSync(file, path.join(outDir, path.basename(file)));

    const error = await exportMosaic(outDir, path.join(work, 'x.png')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'NO_MANIFEST',
      message: `No *.tiles.json manifest in ${outDir}, so the tiles' places are unknown`,
    });

    const result = await exportMosaic(outDir, path.join(work, 'elsewhere.png'), {
      manifest: path.join(tilesDir, 'field.tiles.json'),
    });

    expect(result.tiles).toBe(6);
    expect((await decodeRaw(result.path)).data.equals(original)).toBe(true);
  });

  it('needs a stem when a folder holds several photos, and exports each one', async () => {
    const dir = freshDir('several');
    const second = path.join(work, 'meadow.png');
    const secondPixels = makePixels(300, 200, 11);
    await writePng(second, secondPixels, 300, 200);
    await importPhoto(photo, dir, { tile: 128 });
    await importPhoto(second, dir, { tile: 128 });

    const error = await exportMosaic(dir, path.join(work, 'x.png')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'USAGE',
      message: 'Expected one of field, meadow for stem but received nothing',
    });

    const unknown = await exportMosaic(dir, path.join(work, 'x.png'), { stem: 'lake' }).catch(
      (e: unknown) => e,
    );
    expect(unknown).toMatchObject({
      code: 'NO_MANIFEST',
      message: `No lake.tiles.json in ${dir}, so the tiles' places are unknown`,
      hint: 'photos with a manifest there: field, meadow',
    });

    const one = await exportMosaic(dir, work + path.sep, { stem: 'meadow' });
    expect(one.path).toBe(path.join(work, 'meadow.png'));
    expect((await decodeRaw(one.path)).data.equals(secondPixels)).toBe(true);

    const all = await exportMosaics(dir, path.join(work, 'mosaics'));
    expect(all.map((r) => [path.basename(r.path), r.width, r.height, r.tiles])).toEqual([
      ['field.png', 600, 400, 20],
      ['meadow.png', 300, 200, 6],
    ]);
  });
});
