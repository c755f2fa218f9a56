// The benchmark's chart: tiles per second by method, one panel per tile size (each with its own
// scale, since small tiles run many times faster), medians as bars and min-max as whiskers.
// Drawn as SVG and rendered to PNG with sharp, which is loaded only here.

import fs from 'node:fs';

import { METHODS, type MethodId } from './methods.js';
import type { MethodSummary } from './report.js';

const COLORS: Record<MethodId, string> = {
  edgecam: '#1f77b4',
  'edgecam-sync': '#9ecae1',
  'node-async': '#ff7f0e',
  'node-sync': '#fdae6b',
  'c-reference': '#2ca02c',
};

const PANEL_W = 300;
const PANEL_H = 300;
const TOP = 56;
const LEFT = 64;
const BOTTOM = 70;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round axis maximum at or above value whose quarters are round too (for the grid lines). */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  for (const step of [1, 1.2, 1.6, 2, 2.4, 3, 4, 6, 8, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function compact(value: number): string {
  if (value >= 10_000) return `${Number((value / 1000).toFixed(1))}k`;
  if (value >= 1000) return `${Number((value / 1000).toFixed(2))}k`;
  return String(Math.round(value));
}

export function chartSvg(summary: MethodSummary[], sizes: string[], methods: MethodId[]): string {
  const width = LEFT + sizes.length * PANEL_W + 20;
  const height = TOP + PANEL_H + BOTTOM;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="DejaVu Sans, Lato, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" font-size="17" text-anchor="middle">` +
      'Tiles per second (median of rounds; whiskers: min-max)</text>',
  ];

  sizes.forEach((size, p) => {
    const rows = methods
      .map((m) => summary.find((s) => s.size === size && s.method === m))
      .filter((s): s is MethodSummary => s !== undefined);
    const top = niceMax(Math.max(1, ...rows.map((r) => r.tilesPerS.max)));
    const x0 = LEFT + p * PANEL_W;
    const y = (v: number) => TOP + PANEL_H - (v / top) * PANEL_H;
    parts.push(
      `<text x="${x0 + PANEL_W / 2}" y="${TOP - 12}" font-size="14" text-anchor="middle">` +
        `${escape(size)} tiles</text>`,
    );
    for (let i = 0; i <= 4; i++) {
      const v = (top * i) / 4;
      parts.push(
        `<line x1="${x0}" x2="${x0 + PANEL_W - 20}" y1="${y(v)}" y2="${y(v)}" ` + `stroke="#ddd"/>`,
        `<text x="${x0 - 4}" y="${y(v) + 4}" font-size="11" text-anchor="end">` +
          `${compact(v)}</text>`,
      );
    }
    const slot = (PANEL_W - 30) / Math.max(1, rows.length);
    rows.forEach((row, i) => {
      const bx = x0 + 6 + i * slot;
      const bw = slot * 0.72;
      const cx = bx + bw / 2;
      const median = row.tilesPerS.median;
      parts.push(
        `<rect x="${bx}" y="${y(median)}" width="${bw}" height="${y(0) - y(median)}" ` +
          `fill="${COLORS[row.method]}"/>`,
        `<line x1="${cx}" x2="${cx}" y1="${y(row.tilesPerS.min)}" y2="${y(row.tilesPerS.max)}" ` +
          `stroke="#333" stroke-width="1.5"/>`,
        `<line x1="${cx - 5}" x2="${cx + 5}" y1="${y(row.tilesPerS.max)}" ` +
          `y2="${y(row.tilesPerS.max)}" stroke="#333"/>`,
        `<line x1="${cx - 5}" x2="${cx + 5}" y1="${y(row.tilesPerS.min)}" ` +
          `y2="${y(row.tilesPerS.min)}" stroke="#333"/>`,
        `<text x="${cx}" y="${y(row.tilesPerS.max) - 5}" font-size="10" ` +
          `text-anchor="middle">${compact(median)}</text>`,
      );
    });
    parts.push(
      `<line x1="${x0}" x2="${x0 + PANEL_W - 20}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    );
  });

  const legendY = TOP + PANEL_H + 34;
  const step = (width - LEFT) / methods.length;
  methods.forEach((m, i) => {
    const lx = LEFT + i * step;
    parts.push(
      `<rect x="${lx}" y="${legendY - 11}" width="14" height="14" fill="${COLORS[m]}"/>`,
      `<text x="${lx + 20}" y="${legendY}" font-size="12">${escape(METHODS[m].label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the chart as PNG to pngFile. */
export async function writeChart(
  summary: MethodSummary[],
  sizes: string[],
  methods: MethodId[],
  pngFile: string,
): Promise<void> {
  const svg = chartSvg(summary, sizes, methods);
  const sharp = (await import('sharp')).default;
  const png = await sharp(Buffer.from(svg)).png({ compressionLevel: 9, palette: true }).toBuffer();
  fs.writeFileSync(pngFile, png);
}
