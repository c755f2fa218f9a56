// Tiles for shell and recipe tests, named as `edgecam import` names them
// (photo_r001_c002.ppm), so plugins that act on one row of an image work.

import fs from 'node:fs';
import path from 'node:path';

import { encodePnm, syntheticImage } from './pnm.js';

/** Writes rows x cols small RGB tiles into `dir`; returns their names. */
export function writeTileGrid(dir: string, rows = 4, cols = 4, stem = 'photo'): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const name = `${stem}_r${String(row).padStart(3, '0')}_c${String(col).padStart(3, '0')}.ppm`;
      fs.writeFileSync(
        path.join(dir, name),
        encodePnm(syntheticImage(32, 32, 3, row * cols + col + 1)),
      );
      names.push(name);
    }
  }
  return names;
}
