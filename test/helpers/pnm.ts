// Tiles for tests, made and read here independently of the product's code.

export interface Image {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Buffer;
}

export function encodePnm(image: Image): Buffer {
  const magic = image.channels === 3 ? 'P6' : 'P5';
  const header = Buffer.from(`${magic}\n${image.width} ${image.height}\n255\n`, 'ascii');
  return Buffer.concat([header, image.pixels]);
}

/** Parses binary P5/P6 with the common header layouts (comments allowed). */
export function decodePnm(data: Buffer): Image {
  const magic = data.subarray(0, 2).toString('ascii');
  if (magic !== 'P5' && magic !== 'P6') throw new Error(`not P5/P6: ${magic}`);
  const fields: number[] = [];
  let at = 2;
  while (fields.length < 3) {
    while (/\s/.test(String.fromCharCode(data[at]))) at++;
    if (data[at] === 0x23) {
      while (data[at] !== 0x0a) at++;
      continue;
    }
    let start = at;
    while (/\d/.test(String.fromCharCode(data[at]))) at++;
    fields.push(Number(data.subarray(start, at).toString('ascii')));
  }
  at++; // the single whitespace after maxval
  const channels = magic === 'P6' ? 3 : 1;
  const [width, height] = fields;
  return { width, height, channels, pixels: data.subarray(at, at + width * height * channels) };
}

/** A deterministic, varied image: gradients plus a pseudo-random texture. */
export function syntheticImage(width: number, height: number, channels: 1 | 3, seed = 1): Image {
  const pixels = Buffer.alloc(width * height * channels);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const pixel = Math.floor(i / channels);
    const x = pixel % width;
    const y = Math.floor(pixel / width);
    pixels[i] = ((x * 3 + y * 5 + (i % channels) * 60) ^ (state >>> 24)) & 0xff;
  }
  return { width, height, channels, pixels };
}

/** Rec. 601 luma, exactly: 0.299 R + 0.587 G + 0.114 B, rounded. */
export function referenceGrayscale(image: Image): Buffer {
  if (image.channels === 1) return Buffer.from(image.pixels);
  const out = Buffer.alloc(image.pixels.length);
  for (let i = 0; i < image.pixels.length; i += 3) {
    const y = Math.round(
      0.299 * image.pixels[i] + 0.587 * image.pixels[i + 1] + 0.114 * image.pixels[i + 2],
    );
    out[i] = out[i + 1] = out[i + 2] = y;
  }
  return out;
}

/** Largest per-byte difference between two buffers of equal length. */
export function maxDifference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
