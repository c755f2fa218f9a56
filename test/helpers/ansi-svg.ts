// Turns a terminal screen captured with colours (`tmux capture-pane -e -p`)
// into an SVG picture of it: one monospace cell per character, SGR colours
// (16, 256 and 24-bit), bold and reverse. sharp renders the SVG to PNG for
// the screenshots in docs/.

interface Style {
  fg: string;
  bg: string;
  bold: boolean;
  reverse: boolean;
}

const BACKGROUND = '#1d1f21';
const FOREGROUND = '#d7d7d7';
const PALETTE = [
  '#1d1f21',
  '#cc6666',
  '#b5bd68',
  '#f0c674',
  '#81a2be',
  '#b294bb',
  '#8abeb7',
  '#c5c8c6',
  '#666666',
  '#d54e53',
  '#b9ca4a',
  '#e7c547',
  '#7aa6da',
  '#c397d8',
  '#70c0b1',
  '#eaeaea',
];

const CELL_WIDTH = 8.4;
const LINE_HEIGHT = 17;
const FONT_SIZE = 14;
const MARGIN = 12;

function color256(n: number): string {
  if (n < 16) return PALETTE[n];
  if (n < 232) {
    const steps = [0, 95, 135, 175, 215, 255];
    const v = n - 16;
    return rgb(steps[Math.floor(v / 36)], steps[Math.floor(v / 6) % 6], steps[v % 6]);
  }
  const level = 8 + (n - 232) * 10;
  return rgb(level, level, level);
}

function rgb(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Applies one SGR sequence's parameters to a style. */
function applySgr(style: Style, params: number[]): Style {
  const next = { ...style };
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0)
      Object.assign(next, { fg: FOREGROUND, bg: BACKGROUND, bold: false, reverse: false });
    else if (p === 1) next.bold = true;
    else if (p === 22) next.bold = false;
    else if (p === 7) next.reverse = true;
    else if (p === 27) next.reverse = false;
    else if (p >= 30 && p <= 37) next.fg = PALETTE[p - 30];
    else if (p >= 90 && p <= 97) next.fg = PALETTE[p - 90 + 8];
    else if (p === 39) next.fg = FOREGROUND;
    else if (p >= 40 && p <= 47) next.bg = PALETTE[p - 40];
    else if (p >= 100 && p <= 107) next.bg = PALETTE[p - 100 + 8];
    else if (p === 49) next.bg = BACKGROUND;
    else if ((p === 38 || p === 48) && params[i + 1] === 5) {
      next[p === 38 ? 'fg' : 'bg'] = color256(params[i + 2]);
      i += 2;
    } else if ((p === 38 || p === 48) && params[i + 1] === 2) {
      next[p === 38 ? 'fg' : 'bg'] = rgb(params[i + 2], params[i + 3], params[i + 4]);
      i += 4;
    }
  }
  return next;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The SVG of a captured screen `cols` wide; `title` goes in a bar above it. */
export function ansiToSvg(capture: string, cols: number, title: string): string {
  const lines = capture.replace(/\n$/, '').split('\n');
  const width = Math.ceil(cols * CELL_WIDTH + 2 * MARGIN);
  const top = MARGIN + LINE_HEIGHT + 8;
  const height = Math.ceil(top + lines.length * LINE_HEIGHT + MARGIN);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="DejaVu Sans Mono, monospace" font-size="${FONT_SIZE}">`,
    `<rect width="100%" height="100%" fill="${BACKGROUND}"/>`,
    `<text x="${MARGIN}" y="${MARGIN + FONT_SIZE}" fill="#888888">${escapeXml(title)}</text>`,
  ];

  let style: Style = { fg: FOREGROUND, bg: BACKGROUND, bold: false, reverse: false };
  lines.forEach((line, row) => {
    const y = top + row * LINE_HEIGHT;
    let col = 0;
    let run = '';
    let runStart = 0;
    let runStyle = style;
    const flush = () => {
      if (run.length === 0) return;
      const fg = runStyle.reverse ? runStyle.bg : runStyle.fg;
      const bg = runStyle.reverse ? runStyle.fg : runStyle.bg;
      const x = MARGIN + runStart * CELL_WIDTH;
      const w = run.length * CELL_WIDTH;
      if (bg !== BACKGROUND)
        parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${LINE_HEIGHT}" fill="${bg}"/>`);
      if (run.trim()) {
        // Rule: characters outside ASCII (braille dots, box lines) each get a
        // <text> of their own at their cell. Reason: they come from fallback
        // fonts with wider advances, and rsvg ignores textLength and x lists.
        const weight = runStyle.bold ? ' font-weight="bold"' : '';
        const baseline = y + FONT_SIZE - 1;
        for (const piece of run.matchAll(/[\x20-\x7e]+|[^\x20-\x7e]/gu)) {
          if (!piece[0].trim()) continue;
          const at = (x + [...run.slice(0, piece.index)].length * CELL_WIDTH).toFixed(1);
          parts.push(
            `<text x="${at}" y="${baseline}" fill="${fg}"${weight} xml:space="preserve">` +
              `${escapeXml(piece[0])}</text>`,
          );
        }
      }
      run = '';
    };
    const pattern = /\x1b\[([0-9;]*)m|([^\x1b])/gu;
    for (const match of line.matchAll(pattern)) {
      if (match[2] !== undefined) {
        if (run.length === 0) {
          runStart = col;
          runStyle = style;
        }
        run += match[2];
        col++;
        continue;
      }
      flush();
      const params = match[1] === '' ? [0] : match[1].split(';').map(Number);
      style = applySgr(style, params);
    }
    flush();
  });
  parts.push('</svg>');
  return parts.join('\n');
}
