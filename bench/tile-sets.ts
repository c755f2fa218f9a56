// The benchmark's tile sets: RGB PPM tiles of about 16, 64 and 192 KiB, generated afresh for each
// run (or reused with --keep-tiles), each in its own folder, with a small sample folder of hard
// links for the traced pass, and the output folders every method writes into.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { grayMismatch, ppmHeader } from './pnm.js';

export interface TileSize {
  /** Name in reports: 16k, 64k, 192k. */
  name: string;
  /** Edge of the square tile in pixels; a tile is edge x edge x 3 bytes plus its header. */
  edge: number;
}

export const TILE_SIZES: TileSize[] = [
  { name: '16k', edge: 74 },
  { name: '64k', edge: 148 },
  { name: '192k', edge: 256 },
];

export interface TileSet {
  size: TileSize;
  dir: string;
  /** Hard links to the first tiles, for the traced pass. */
  sampleDir: string;
  count: number;
  sampleCount: number;
  /** Bytes of one tile file. */
  fileBytes: number;
  /** Bytes of one tile's pixels. */
  pixelBytes: number;
}

const GENERATOR = 1; // bump when the tiles' content or naming changes
const VARIANTS = 64; // distinct pixel contents, cycled over the tiles

interface Manifest {
  generator: number;
  edge: number;
  count: number;
  fileBytes: number;
}

/** The name of tile i: zero-padded so a plain sort lists the tiles in order. */
export function tileName(i: number): string {
  return `tile_${String(i).padStart(6, '0')}.ppm`;
}

/** Pseudo-random pixels from a fixed seed, so every run generates the same tiles. */
function pixelVariants(bytes: number, seed: number): Buffer[] {
  let state = seed >>> 0 || 1;
  return Array.from({ length: VARIANTS }, () => {
    const pixels = Buffer.allocUnsafe(bytes);
    for (let i = 0; i < bytes; i++) {
      // xorshift32
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      pixels[i] = state & 0xff;
    }
    return pixels;
  });
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, '.tileset.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * Makes the tile set of one size under root: count tiles in root/NAME, and the first sampleCount
 * of them linked into root/NAME-sample. With reuse, a set already there with the same manifest
 * is kept.
 */
export function prepareTileSet(
  root: string,
  size: TileSize,
  count: number,
  sampleCount: number,
  reuse: boolean,
): TileSet {
  const dir = path.join(root, size.name);
  const sampleDir = path.join(root, `${size.name}-sample`);
  const header = ppmHeader(size.edge, size.edge);
  const pixelBytes = size.edge * size.edge * 3;
  const fileBytes = header.length + pixelBytes;
  const manifest: Manifest = { generator: GENERATOR, edge: size.edge, count, fileBytes };
  const set = { size, dir, sampleDir, count, sampleCount, fileBytes, pixelBytes };

  const existing = readManifest(dir);
  if (reuse && existing && JSON.stringify(existing) === JSON.stringify(manifest)) return set;

  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(sampleDir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(sampleDir, { recursive: true });
  const variants = pixelVariants(pixelBytes, size.edge);
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(path.join(dir, tileName(i)), Buffer.concat([header, variants[i % VARIANTS]]));
  }
  for (let i = 0; i < Math.min(sampleCount, count); i++) {
    fs.linkSync(path.join(dir, tileName(i)), path.join(sampleDir, tileName(i)));
  }
  fs.writeFileSync(path.join(dir, '.tileset.json'), JSON.stringify(manifest) + '\n');
  return set;
}

/** Empties (or makes) an output folder, so no method overwrites another's files. */
export function resetFolder(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * Checks a method's output folder: every tile is there and a few of them, spread over the set,
 * are exactly the input turned gray. Returns undefined when it is so, else what is wrong.
 */
export function checkOutput(set: TileSet, outDir: string, tiles = set.count): string | undefined {
  const names = fs.readdirSync(outDir).filter((n) => !n.startsWith('.'));
  if (names.length !== tiles) return `${names.length} tiles in ${outDir}, expected ${tiles}`;
  const picks = new Set([0, tiles >> 1, tiles - 1, Math.floor(tiles / 3)]);
  for (const i of picks) {
    const name = tileName(i);
    const input = fs.readFileSync(path.join(set.dir, name));
    let output: Buffer;
    try {
      output = fs.readFileSync(path.join(outDir, name));
    } catch {
      return `${name} is missing from ${outDir}`;
    }
    const wrong = grayMismatch(input, output);
    if (wrong) return `${path.join(outDir, name)}: ${wrong}`;
  }
  return undefined;
}

/** The file system type of dir, as stat -f names it (tmpfs, ext2/ext3, ...). */
export function fileSystemOf(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The fraction of the given files' bytes resident in the page cache, from fincore(1); undefined
 * when fincore is not installed.
 */
export function residentFraction(files: string[]): number | undefined {
  try {
    const out = execFileSync('fincore', ['--bytes', '--noheadings', '--raw', ...files], {
      encoding: 'utf8',
    });
    let resident = 0;
    let total = 0;
    for (const line of out.trim().split('\n')) {
      // RES counts whole pages, so a resident file shows more than its size.
      const [res, , size] = line.split(/\s+/).map(Number);
      resident += Math.min(res, size);
      total += size;
    }
    return total > 0 ? resident / total : undefined;
  } catch {
    return undefined;
  }
}
