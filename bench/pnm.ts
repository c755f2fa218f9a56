// Binary PNM (P5/P6) tiles for the benchmark: the header of a generated tile, where a tile's
// pixels start, and the gray a correct method must write, to check each method's output.

export interface PnmGeometry {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Bytes before the first pixel. */
  headerLength: number;
}

/** The header of a binary RGB tile (P6, maxval 255). */
export function ppmHeader(width: number, height: number): Buffer {
  return Buffer.from(`P6\n${width} ${height}\n255\n`, 'ascii');
}

/**
 * Reads the header of a binary PNM tile. Returns undefined unless the bytes are a whole P5 or P6
 * tile with maxval 255 and exactly the pixels the header announces.
 */
export function parsePnm(bytes: Uint8Array): PnmGeometry | undefined {
  if (bytes.length < 3 || bytes[0] !== 0x50 || (bytes[1] !== 0x35 && bytes[1] !== 0x36)) {
    return undefined;
  }
  let at = 2;
  const numbers: number[] = [];
  while (numbers.length < 3) {
    while (at < bytes.length && isSpace(bytes[at])) at++;
    if (bytes[at] === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
      continue;
    }
    let value = 0;
    const start = at;
    while (at < bytes.length && at - start < 9 && bytes[at] >= 0x30 && bytes[at] <= 0x39) {
      value = value * 10 + bytes[at++] - 0x30;
    }
    if (at === start) return undefined;
    numbers.push(value);
  }
  const [width, height, maxval] = numbers;
  const channels = bytes[1] === 0x36 ? 3 : 1;
  const headerLength = at + 1;
  if (width <= 0 || height <= 0 || maxval !== 255) return undefined;
  if (bytes.length - headerLength !== width * height * channels) return undefined;
  return { width, height, channels, headerLength };
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Rec. 601 luma exactly as algos/edgecam_tile.h computes it. */
export function luma(r: number, g: number, b: number): number {
  return Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/**
 * Checks that output is input turned gray: same header, every RGB pixel replaced by its luma in
 * all three channels. Returns undefined when it is, else what differs.
 */
export function grayMismatch(input: Uint8Array, output: Uint8Array): string | undefined {
  const g = parsePnm(input);
  if (!g) return 'the input is not a whole PNM tile';
  if (output.length !== input.length) {
    return `length ${output.length}, expected ${input.length}`;
  }
  for (let i = 0; i < g.headerLength; i++) {
    if (output[i] !== input[i]) return `header byte ${i} differs`;
  }
  if (g.channels === 1) {
    return Buffer.compare(input, output) === 0 ? undefined : 'a gray tile was changed';
  }
  for (let i = g.headerLength; i < input.length; i += 3) {
    const y = luma(input[i], input[i + 1], input[i + 2]);
    if (output[i] !== y || output[i + 1] !== y || output[i + 2] !== y) {
      return `pixel at byte ${i} is ${output[i]},${output[i + 1]},${output[i + 2]}, expected ${y}`;
    }
  }
  return undefined;
}
