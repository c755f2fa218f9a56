// Cuts a photograph into tiles of one geometry for the pipeline: binary PPM (or PGM with `gray`)
// files named <stem>_r<row>_c<col>, plus a <stem>.tiles.json manifest that mosaic-export.ts
// reads to put them back together. sharp is imported only when a photo is decoded, so the
// shell starts without loading libvips.

import fs from 'node:fs';
import path from 'node:path';

import { EdgecamError, SetupError, UsageError } from '../core/errors.js';

export interface ImportOptions {
  /** Edge of the square tile, in pixels. */
  tile: number;
  /** Write one gray channel (PGM) instead of RGB (PPM). */
  gray?: boolean;
}

export interface ImportResult {
  tiles: number;
  width: number;
  height: number;
  cols: number;
  rows: number;
  /** Absolute paths of the tiles, in row-major order. */
  files: string[];
}

/** Contents of <stem>.tiles.json: what is needed to rebuild the photo from its tiles. */
export interface TileManifest {
  /** The photo's file name, for a person reading the manifest. */
  source: string;
  /** The photo's size before the edge tiles were padded. */
  width: number;
  height: number;
  tile: number;
  cols: number;
  rows: number;
  channels: 1 | 3;
}

export const MANIFEST_SUFFIX = '.tiles.json';
export const TILE_MIN = 8;
export const TILE_MAX = 4096;

/** Thrown for a file sharp cannot decode, or a tile that is not the PNM it should be. */
export class BadImageError extends EdgecamError {
  constructor(message: string, hint: string) {
    super('BAD_IMAGE', message, hint);
    this.name = 'BadImageError';
  }
}

type Sharp = typeof import('sharp');

/** sharp, loaded on first use; a failed install becomes an error that says how to fix it. */
export async function loadSharp(): Promise<Sharp> {
  try {
    return (await import('sharp')).default;
  } catch (error) {
    throw new SetupError(
      `The image library sharp could not be loaded: ${(error as Error).message}`,
      'npm install (sharp brings its own libvips for linux-x64)',
    );
  }
}

/**
 * The file name of one tile. Row and column are zero-padded to at least three digits (more
 * when the photo has more rows or columns), so a plain sort lists a photo's tiles in order.
 */
export function tileName(stem: string, manifest: TileManifest, row: number, col: number): string {
  const digits = Math.max(3, String(Math.max(manifest.rows, manifest.cols) - 1).length);
  const r = String(row).padStart(digits, '0');
  const c = String(col).padStart(digits, '0');
  return `${stem}_r${r}_c${c}.${manifest.channels === 1 ? 'pgm' : 'ppm'}`;
}

/** The binary PNM header of a tile: P6 for RGB, P5 for gray, maxval 255. */
export function pnmHeader(width: number, height: number, channels: 1 | 3): Buffer {
  return Buffer.from(`${channels === 1 ? 'P5' : 'P6'}\n${width} ${height}\n255\n`, 'ascii');
}

/** Decodes a photo into 8-bit sRGB (or gray) pixels, upright as a viewer shows it. */
async function decodePhoto(
  photo: string,
  gray: boolean,
): Promise<{ pixels: Buffer; width: number; height: number; channels: 1 | 3 }> {
  try {
    await fs.promises.access(photo, fs.constants.R_OK);
  } catch (error) {
    throw new EdgecamError(
      'NOT_FOUND',
      `Cannot read ${photo}: ${(error as Error).message}`,
      'check the path; the sample photographs are in img_samples/',
    );
  }

  const sharp = await loadSharp();
  try {
    // flatten() puts transparent pixels on black; toColourspace also brings 16-bit input to 8.
    const pipeline = sharp(photo, { autoOrient: true, failOn: 'warning' })
      .flatten()
      .toColourspace(gray ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { pixels: data, width: info.width, height: info.height, channels: gray ? 1 : 3 };
  } catch (error) {
    throw new BadImageError(
      `Cannot decode ${photo} as an image: ${(error as Error).message}`,
      'give a PNG or JPEG photograph that opens in an image viewer; ' +
        're-save or re-download this one',
    );
  }
}

/**
 * Copies one tile out of the photo. Pixels past the photo's right or bottom edge repeat the
 * last column or row, so edge tiles share the geometry of the others without a hard border
 * that would show up in blur or edge plugins.
 */
function cutTile(
  photo: { pixels: Buffer; width: number; height: number; channels: 1 | 3 },
  tile: number,
  left: number,
  top: number,
): Buffer {
  const { pixels, width, height, channels } = photo;
  const header = pnmHeader(tile, tile, channels);
  const out = Buffer.alloc(header.length + tile * tile * channels);
  header.copy(out);

  const rowBytes = tile * channels;
  const inside = Math.min(tile, width - left);
  for (let y = 0; y < tile; y++) {
    const sourceRow = Math.min(top + y, height - 1) * width;
    const target = header.length + y * rowBytes;
    pixels.copy(out, target, (sourceRow + left) * channels, (sourceRow + left + inside) * channels);

    const last = (sourceRow + width - 1) * channels;
    for (let x = inside; x < tile; x++) {
      pixels.copy(out, target + x * channels, last, last + channels);
    }
  }
  return out;
}

/** Deletes tiles of this stem left by an earlier import, which may have had another geometry. */
async function removeOldTiles(outDir: string, stem: string): Promise<void> {
  const pattern = new RegExp(`^${escapeRegExp(stem)}_r\\d+_c\\d+\\.(ppm|pgm)$`);
  const names = await fs.promises.readdir(outDir);
  await Promise.all(
    names.filter((n) => pattern.test(n)).map((n) => fs.promises.rm(path.join(outDir, n))),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkTile(tile: unknown): number {
  if (typeof tile !== 'number' || !Number.isInteger(tile) || tile < TILE_MIN || tile > TILE_MAX) {
    throw new UsageError(
      '--tile',
      `a whole number of pixels in ${TILE_MIN}..${TILE_MAX}`,
      tile,
      'import PHOTO --tile 256 [--gray]',
    );
  }
  return tile;
}

/** Writes files a few at a time: enough to keep the disk busy without a descriptor per tile. */
async function writeAll(files: { file: string; bytes: Buffer }[]): Promise<void> {
  const inFlight = 16;
  for (let i = 0; i < files.length; i += inFlight) {
    await Promise.all(
      files.slice(i, i + inFlight).map(({ file, bytes }) => fs.promises.writeFile(file, bytes)),
    );
  }
}

/**
 * Cuts `photo` (any format sharp decodes: PNG, JPEG, ...) into tiles of `opts.tile` pixels
 * square in `outDir`, replacing any earlier import of the same photo there, and writes its
 * manifest. Throws BadImageError (code BAD_IMAGE) for a file that does not decode and
 * UsageError for a tile size out of range.
 */
export async function importPhoto(
  photo: string,
  outDir: string,
  opts: ImportOptions,
): Promise<ImportResult> {
  const tile = checkTile(opts.tile);
  const decoded = await decodePhoto(photo, opts.gray ?? false);
  const stem = path.parse(photo).name;
  const manifest: TileManifest = {
    source: path.basename(photo),
    width: decoded.width,
    height: decoded.height,
    tile,
    cols: Math.ceil(decoded.width / tile),
    rows: Math.ceil(decoded.height / tile),
    channels: decoded.channels,
  };

  await fs.promises.mkdir(outDir, { recursive: true });
  await removeOldTiles(outDir, stem);

  const tiles: { file: string; bytes: Buffer }[] = [];
  for (let row = 0; row < manifest.rows; row++) {
    for (let col = 0; col < manifest.cols; col++) {
      const file = path.resolve(outDir, tileName(stem, manifest, row, col));
      tiles.push({ file, bytes: cutTile(decoded, tile, col * tile, row * tile) });
    }
  }
  await writeAll(tiles);

  // The manifest goes last: its presence means every tile is on disk.
  const manifestPath = path.join(outDir, stem + MANIFEST_SUFFIX);
  await fs.promises.writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

  return {
    tiles: tiles.length,
    width: manifest.width,
    height: manifest.height,
    cols: manifest.cols,
    rows: manifest.rows,
    files: tiles.map((t) => t.file),
  };
}

/**
 * True when `outDir` already holds an import of `photo` with these options that is newer than
 * the photo, so set-up can skip it.
 */
export async function importIsCurrent(
  photo: string,
  outDir: string,
  opts: ImportOptions,
): Promise<boolean> {
  const stem = path.parse(photo).name;
  const manifestPath = path.join(outDir, stem + MANIFEST_SUFFIX);
  try {
    const [photoStat, manifestStat] = await Promise.all([
      fs.promises.stat(photo),
      fs.promises.stat(manifestPath),
    ]);
    if (manifestStat.mtimeMs < photoStat.mtimeMs) return false;
    const manifest = JSON.parse(await fs.promises.readFile(manifestPath, 'utf8')) as TileManifest;
    if (manifest.tile !== opts.tile || manifest.channels !== (opts.gray ? 1 : 3)) return false;
    for (let row = 0; row < manifest.rows; row++) {
      for (let col = 0; col < manifest.cols; col++) {
        if (!fs.existsSync(path.join(outDir, tileName(stem, manifest, row, col)))) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}
