// The demo path as a user runs it: photographs in, a daemon, every tile out,
// mosaics written. Each output tile is checked against an independent
// Rec. 601 grayscale of its input tile.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { ROOT } from './helpers/daemon.js';
import { decodePnm, maxDifference, referenceGrayscale } from './helpers/pnm.js';
import { uringSkipReason } from './helpers/uring.js';

const SAMPLES = path.join(ROOT, 'img_samples');

describe.skipIf(uringSkipReason())('demo', () => {
  it('turns every tile of every sample photograph gray and writes a mosaic per photograph', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'demo.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);

    const inputs = fs.readdirSync(path.join(SAMPLES, 'in')).filter((n) => n.endsWith('.ppm'));
    const outputs = fs.readdirSync(path.join(SAMPLES, 'out')).filter((n) => n.endsWith('.ppm'));
    expect(inputs.length).toBeGreaterThanOrEqual(12);
    expect(outputs.sort()).toEqual(inputs.sort());
    for (const name of inputs) {
      const input = decodePnm(fs.readFileSync(path.join(SAMPLES, 'in', name)));
      const output = decodePnm(fs.readFileSync(path.join(SAMPLES, 'out', name)));
      expect(maxDifference(output.pixels, referenceGrayscale(input)), name).toBeLessThanOrEqual(1);
    }

    const photos = fs.readdirSync(SAMPLES).filter((n) => /\.(png|jpe?g)$/i.test(n));
    expect(photos.length).toBeGreaterThanOrEqual(3);
    for (const photo of photos) {
      expect(
        fs.existsSync(path.join(SAMPLES, 'mosaic', `${path.parse(photo).name}.png`)),
        photo,
      ).toBe(true);
    }
    expect(run.stdout).toMatch(/demo ok: (\d+)\/\1 tiles written, daemon exited 0/);
    expect(run.stdout).toMatch(/io_uring_enter/);
  });
});
