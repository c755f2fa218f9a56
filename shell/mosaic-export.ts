// Puts tiles back together into a PNG a person can look at: reads the manifest tile-import.ts
// wrote, places every tile at its row and column, crops the padding away and draws a
// checkerboard where a tile is missing or unreadable, listing it rather than hiding the gap.

import fs from 'node:fs';
import path from 'node:path';

import { EdgecamError, UsageError } from '../core/errors.js';
import {
  BadImageError,
  MANIFEST_SUFFIX,
  loadSharp,
  tileName,
  type TileManifest,
} from './tile-import.js';

export interface ExportOptions {
  /** Which photo's tiles, when `dir` holds tiles of several. */
  stem?: string;
  /** The manifest to use, when it is not in `dir` (tiles processed into another folder). */
  manifest?: string;
}

export interface ExportResult {
  /** The PNG written. */
  path: string;
  width: number;
  height: number;
  /** Tiles placed. */
  tiles: number;
  /** Tiles drawn as a checkerboard: absent, or present but unreadable (see `unreadable`). */
  missing: string[];
  unreadable: { file: string; reason: string }[];
}

/** A missing tile is drawn in squares of this many pixels, magenta on near-black. */
const CHECKER = 16;
const CHECKER_RGB = [
  [255, 0, 255],
  [32, 32, 32],
];
const CHECKER_GRAY = [255, 32];

/** Reads and checks a manifest; its file name gives the stem of its tiles. */
async function readManifest(file: string): Promise<{ stem: string; manifest: TileManifest }> {
  let manifest: TileManifest;
  try {
    manifest = JSON.parse(await fs.promises.readFile(file, 'utf8')) as TileManifest;
  } catch (error) {
    throw new EdgecamError(
      'BAD_MANIFEST',
      `Cannot read the tile manifest ${file}: ${(error as Error).message}`,
      'import the photo again to rewrite it',
    );
  }

  const { width, height, tile, cols, rows, channels } = manifest;
  const whole = [width, height, tile, cols, rows].every((n) => Number.isInteger(n) && n > 0);
  if (
    !whole ||
    (channels !== 1 && channels !== 3) ||
    cols !== Math.ceil(width / tile) ||
    rows !== Math.ceil(height / tile)
  ) {
    throw new EdgecamError(
      'BAD_MANIFEST',
      `The tile manifest ${file} does not describe a tiled photo: ${JSON.stringify(manifest)}`,
      'import the photo again to rewrite it',
    );
  }
  return { stem: path.basename(file, MANIFEST_SUFFIX), manifest };
}

/** Every manifest in a folder, by stem. */
async function listManifests(dir: string): Promise<string[]> {
  const names = await fs.promises.readdir(dir);
  return names
    .filter((n) => n.endsWith(MANIFEST_SUFFIX))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Picks the one manifest `exportMosaic` should use, or says what to pass instead. */
async function findManifest(dir: string, opts: ExportOptions): Promise<string> {
  if (opts.manifest) return opts.manifest;

  const manifests = await listManifests(dir);
  const stems = manifests.map((m) => path.basename(m, MANIFEST_SUFFIX));
  if (opts.stem !== undefined) {
    if (stems.includes(opts.stem)) return path.join(dir, opts.stem + MANIFEST_SUFFIX);
    throw new EdgecamError(
      'NO_MANIFEST',
      `No ${opts.stem}${MANIFEST_SUFFIX} in ${dir}, so the tiles' places are unknown`,
      stems.length > 0
        ? `photos with a manifest there: ${stems.join(', ')}`
        : 'tiles processed into another folder need the manifest the import wrote: ' +
            `pass --manifest IMPORT_DIR/${opts.stem}${MANIFEST_SUFFIX} (the import wrote it beside the tiles)`,
    );
  }
  if (manifests.length === 1) return manifests[0];
  if (manifests.length === 0) {
    throw new EdgecamError(
      'NO_MANIFEST',
      `No *${MANIFEST_SUFFIX} manifest in ${dir}, so the tiles' places are unknown`,
      'tiles processed into another folder need the manifest the import wrote: ' +
        `pass --manifest IMPORT_DIR/STEM${MANIFEST_SUFFIX} (the import wrote it beside the tiles)`,
    );
  }
  throw new UsageError(
    'stem',
    `one of ${stems.join(', ')}`,
    undefined,
    'export DIR TO --stem NAME',
  );
}

/**
 * Parses a binary PNM tile (P5 or P6, maxval 255, comments allowed) and returns its pixels,
 * or the reason it cannot be placed in this mosaic.
 */
function parseTile(bytes: Buffer, manifest: TileManifest): Buffer | string {
  const magic = bytes.subarray(0, 2).toString('ascii');
  const channels = magic === 'P6' ? 3 : magic === 'P5' ? 1 : 0;
  if (channels === 0) return `starts with '${magic}', not a binary PPM (P6) or PGM (P5) header`;

  // Header: magic, then width, height, maxval as decimal fields separated by whitespace.
  const fields: number[] = [];
  let at = 2;
  while (fields.length < 3) {
    while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
    if (bytes[at] === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
      continue;
    }
    const start = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++;
    if (at === start) return 'has a truncated or malformed header';
    fields.push(Number(bytes.subarray(start, at).toString('ascii')));
  }
  at++; // the single whitespace byte before the pixels

  const [width, height, maxval] = fields;
  const { tile } = manifest;
  if (maxval !== 255) return `has maxval ${maxval}; only 8-bit tiles (255) are supported`;
  if (width !== tile || height !== tile) return `is ${width}x${height}, not ${tile}x${tile}`;
  if (channels !== manifest.channels) {
    return `is ${magic} but the photo was imported with ${manifest.channels} channel(s)`;
  }
  const length = width * height * channels;
  if (bytes.length - at < length) {
    return `holds ${Math.max(0, bytes.length - at)} of ${length} pixel bytes`;
  }
  return bytes.subarray(at, at + length);
}

/** A tile's pixels, undefined when there is no such file, or why it cannot be used. */
async function readTile(
  file: string,
  manifest: TileManifest,
): Promise<Buffer | string | undefined> {
  try {
    return parseTile(await fs.promises.readFile(file), manifest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `cannot be read: ${(error as Error).message}`;
  }
}

/** Copies the part of a tile that lies inside the photo onto the canvas. */
function placeTile(
  canvas: Buffer,
  manifest: TileManifest,
  pixels: Buffer,
  row: number,
  col: number,
) {
  const { width, height, tile, channels } = manifest;
  const left = col * tile;
  const top = row * tile;
  const rowBytes = Math.min(tile, width - left) * channels;
  for (let y = 0; y < tile && top + y < height; y++) {
    const from = y * tile * channels;
    pixels.copy(canvas, ((top + y) * width + left) * channels, from, from + rowBytes);
  }
}

/** Fills a tile's place with the checkerboard that marks it missing. */
function drawChecker(canvas: Buffer, manifest: TileManifest, row: number, col: number) {
  const { width, height, tile, channels } = manifest;
  const left = col * tile;
  const top = row * tile;
  for (let y = top; y < Math.min(top + tile, height); y++) {
    for (let x = left; x < Math.min(left + tile, width); x++) {
      const square = (Math.floor((x - left) / CHECKER) + Math.floor((y - top) / CHECKER)) % 2;
      const at = (y * width + x) * channels;
      if (channels === 1) canvas[at] = CHECKER_GRAY[square];
      else canvas.set(CHECKER_RGB[square], at);
    }
  }
}

/** Where the PNG goes: `to` itself, or <stem>.png inside `to` when it is a folder. */
async function outputPath(to: string, stem: string): Promise<string> {
  const isDir =
    to.endsWith(path.sep) || (await fs.promises.stat(to).catch(() => undefined))?.isDirectory();
  return isDir ? path.join(to, `${stem}.png`) : to;
}

async function buildMosaic(dir: string, manifestPath: string, to: string): Promise<ExportResult> {
  const { stem, manifest } = await readManifest(manifestPath);
  const { width, height, channels } = manifest;
  const canvas = Buffer.alloc(width * height * channels);
  const missing: string[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  let tiles = 0;

  for (let row = 0; row < manifest.rows; row++) {
    for (let col = 0; col < manifest.cols; col++) {
      const name = tileName(stem, manifest, row, col);
      const pixels = await readTile(path.join(dir, name), manifest);
      if (typeof pixels === 'string' || pixels === undefined) {
        missing.push(name);
        if (pixels !== undefined) unreadable.push({ file: name, reason: pixels });
        drawChecker(canvas, manifest, row, col);
      } else {
        placeTile(canvas, manifest, pixels, row, col);
        tiles++;
      }
    }
  }

  // Written under a temporary name and renamed, so a viewer never opens half a PNG.
  const file = path.resolve(await outputPath(to, stem));
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}.png`;
  const sharp = await loadSharp();
  try {
    // Without toColourspace, sharp writes one-channel pixels as an RGB PNG.
    await sharp(canvas, { raw: { width, height, channels } })
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .png()
      .toFile(temporary);
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw new BadImageError(
      `Cannot write the mosaic ${file}: ${(error as Error).message}`,
      'check that the folder is writable and the disk has room',
    );
  }

  return { path: file, width, height, tiles, missing, unreadable };
}

/**
 * Rebuilds one photo from the tiles in `dir` and writes it as a PNG to `to` (a file, or a
 * folder to hold <stem>.png). The manifest is `opts.manifest`, or the one in `dir` (the one
 * named by `opts.stem` when `dir` holds several photos). Missing or unreadable tiles are drawn
 * as a checkerboard and listed in `missing`.
 */
export async function exportMosaic(
  dir: string,
  to: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const manifestPath = await findManifest(dir, opts);
  return buildMosaic(dir, manifestPath, to);
}

/**
 * Rebuilds every photo whose manifest is in `manifestDir` (default: `dir`) from the tiles in
 * `dir`, writing <stem>.png into the folder `toDir`.
 */
export async function exportMosaics(
  dir: string,
  toDir: string,
  opts: { manifestDir?: string } = {},
): Promise<ExportResult[]> {
  const manifestDir = opts.manifestDir ?? dir;
  const manifests = await listManifests(manifestDir);
  if (manifests.length === 0) {
    throw new EdgecamError(
      'NO_MANIFEST',
      `No *${MANIFEST_SUFFIX} manifest in ${manifestDir}, so the tiles' places are unknown`,
      'give the folder the import wrote its manifests to, e.g. img_samples/tiles',
    );
  }
  await fs.promises.mkdir(toDir, { recursive: true });

  const results: ExportResult[] = [];
  for (const manifest of manifests) {
    results.push(await buildMosaic(dir, manifest, toDir + path.sep));
  }
  return results;
}
