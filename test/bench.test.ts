// The benchmark (npm run bench) in its tiny mode: a few hundred tiles through every method, one
// round, the traced pass and the control-plane figures; then its report is read back. This
// proves the benchmark still runs and its report holds together; it measures nothing.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { METHOD_IDS } from '../bench/methods.js';
import type { BenchReport } from '../bench/report.js';
import { uringSkipReason } from './helpers/uring.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUN = path.join(ROOT, 'dist', 'bench', 'run.js');
const SIZES = ['16k', '64k', '192k'];
const skip = uringSkipReason();

// Tiles on a tmpfs when there is one, like the real benchmark; never in its default folder,
// which a full run may be using.
const scratchRoot = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
let dir = '';
let report: BenchReport;
let markdown = '';

describe.skipIf(skip)('benchmark, tiny mode', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(scratchRoot, 'edgecam-bench-test-'));
    const results = path.join(dir, 'results');
    await promisify(execFile)(
      process.execPath,
      [RUN, '--tiny', '--dir', path.join(dir, 'tiles'), '--results', results],
      { cwd: ROOT, maxBuffer: 16 << 20 },
    );
    report = JSON.parse(fs.readFileSync(path.join(results, 'bench.json'), 'utf8'));
    markdown = fs.readFileSync(path.join(results, 'bench.md'), 'utf8');
  }, 180_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every method once on every tile set and counts every tile', () => {
    expect(report.version).toBe(1);
    expect(report.tiny).toBe(true);
    expect(report.tileSets.map((t) => t.size)).toEqual(SIZES);
    for (const size of SIZES) {
      const set = report.tileSets.find((t) => t.size === size)!;
      const passes = report.passes.filter((p) => p.size === size);
      expect(passes.map((p) => p.method).sort()).toEqual([...METHOD_IDS].sort());
      for (const pass of passes) {
        expect(pass.tiles).toBe(set.tiles);
        expect(pass.tilesPerS).toBeCloseTo(pass.tiles / pass.seconds, 6);
        expect(pass.mbPerS).toBeCloseTo((pass.tiles * set.fileBytes) / 1e6 / pass.seconds, 6);
        expect(pass.cpuUsPerTile).toBeGreaterThan(0);
        expect(pass.peakRssMiB).toBeGreaterThan(1);
        expect(pass.latencyP95Ms).toBeGreaterThanOrEqual(pass.latencyP50Ms);
      }
    }
  });

  it('generates tiles of about 16, 64 and 192 KiB in the folder it names', () => {
    const kib = report.tileSets.map((t) => Math.round(t.fileBytes / 1024));
    expect(kib).toEqual([16, 64, 192]);
    for (const set of report.tileSets) {
      expect(set.dir.startsWith(dir)).toBe(true);
      expect(set.fileSystem).not.toBe('');
    }
  });

  it('summarises each method and tile size, and gives the ratios the issue asks for', () => {
    expect(report.summary).toHaveLength(SIZES.length * METHOD_IDS.length);
    for (const row of report.summary) {
      expect(row.tilesPerS.n).toBe(1);
      expect(row.tilesPerS.min).toBeLessThanOrEqual(row.tilesPerS.max);
    }
    expect(report.ratios.map((r) => r.size)).toEqual(SIZES);
    for (const r of report.ratios) {
      const rate = (m: string) =>
        report.summary.find((s) => s.size === r.size && s.method === m)!.tilesPerS.median;
      expect(r.edgecamOverC).toBeCloseTo(rate('edgecam') / rate('c-reference'), 9);
      expect(['node-async', 'node-sync']).toContain(r.bestNode);
      expect(rate(r.bestNode!)).toBe(Math.max(rate('node-async'), rate('node-sync')));
    }
    expect(report.aims?.length).toBeGreaterThanOrEqual(3);
  });

  it('counts system calls in a traced pass: no io_uring_enter without io_uring', () => {
    if (report.syscalls.length === 0) {
      console.warn(`system calls were not counted: ${report.syscallNote}`);
      expect(report.syscallNote).toMatch(/not measured/);
      return;
    }
    expect(report.syscalls).toHaveLength(SIZES.length * METHOD_IDS.length);
    for (const s of report.syscalls) {
      expect(s.perTile).toBeGreaterThan(0);
      if (s.method === 'c-reference' || s.method === 'edgecam') {
        expect(s.ioUringEnterPerTile).toBeGreaterThan(0);
      } else {
        expect(s.ioUringEnterPerTile).toBe(0);
      }
      if (s.method === 'node-sync') {
        // One open to read and one to write each tile, plus a few to start.
        const openat = s.top.find((t) => t.name === 'openat')!;
        expect(openat.perTile).toBeGreaterThanOrEqual(2);
        expect(openat.perTile).toBeLessThan(2.5);
      }
    }
  });

  it('measures recovery from kill-algo, a hot swap and the status round trip', () => {
    const r = report.recovery!;
    expect(r.killToNextTileMs.n).toBe(3);
    expect(r.killToNextTileMs.min).toBeGreaterThan(0);
    expect(r.daemonRecoveryMs.count).toBe(3);
    expect(r.swapLoadMs.n).toBe(2);
    expect(r.swapPauseMs.min).toBeGreaterThan(0);
    expect(r.statusRoundTripIdleMs.n).toBe(30);
    expect(r.statusRoundTripIdleMs.p50).toBeGreaterThan(0);
    expect(r.execStatusMs.n).toBe(2);
  });

  it('writes a Markdown table that points at a PNG chart it rendered', async () => {
    expect(markdown).toContain('| tile set | method | tiles/s |');
    expect(markdown).toContain('| tile set | EdgeCam / C reference | EdgeCam / best Node |');
    expect(markdown).toContain('![tiles per second by method and tile size](tiles-per-second.png)');
    const png = path.join(dir, 'results', 'tiles-per-second.png');
    const sharp = (await import('sharp')).default;
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(600);
  });
});
