// The grayscale plugin (build/algos/grayscale.wasm, the very module EdgeCam's hosts run) in V8's
// own WebAssembly, for the Node baselines. The module imports nothing, so it needs no WASI shim:
// instantiate, call _initialize once (it is a WASI reactor), then process() per tile.

import fs from 'node:fs';

import type { PnmGeometry } from './pnm.js';

const PARAMS_BYTES = 96; // sizeof(edgecam_params), see algos/edgecam_plugin.h
const ABI_VERSION = 1;

interface PluginExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  edgecam_alloc(size: number): number;
  process(buf: number, len: number, params: number): number;
}

export class WasmGray {
  private readonly exports: PluginExports;
  private readonly base: number;
  private readonly capacity: number;

  /** Compiles and instantiates the module with room for tiles of up to maxPixelBytes. */
  constructor(wasmPath: string, maxPixelBytes: number) {
    const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
    const instance = new WebAssembly.Instance(module, {});
    this.exports = instance.exports as unknown as PluginExports;
    this.exports._initialize();
    this.capacity = maxPixelBytes;
    this.base = this.exports.edgecam_alloc(PARAMS_BYTES + maxPixelBytes);
    if (this.base === 0) {
      throw new Error(`grayscale.wasm could not allocate ${maxPixelBytes} bytes for a tile`);
    }
  }

  /**
   * Turns the tile in file (a whole PNM file) gray in place: its pixels are copied into linear
   * memory, processed by the plugin and copied back, as a user of WebAssembly in Node would.
   */
  process(file: Uint8Array, g: PnmGeometry): void {
    const length = file.length - g.headerLength;
    if (length > this.capacity) {
      throw new Error(`a tile of ${length} pixel bytes exceeds the ${this.capacity} reserved`);
    }
    // The buffer is taken afresh each call: it is detached if memory grows.
    const memory = this.exports.memory.buffer;
    const params = new DataView(memory, this.base, PARAMS_BYTES);
    params.setUint32(0, g.width, true);
    params.setUint32(4, g.height, true);
    params.setUint32(8, g.channels, true);
    params.setUint32(12, g.width * g.channels, true);
    params.setUint32(16, 0, true);
    params.setUint32(20, 0, true);
    params.setUint32(24, 0, true);
    params.setUint32(28, ABI_VERSION, true);

    const pixels = new Uint8Array(memory, this.base + PARAMS_BYTES, length);
    pixels.set(file.subarray(g.headerLength));
    const result = this.exports.process(this.base + PARAMS_BYTES, length, this.base);
    if (result !== 0) throw new Error(`grayscale.wasm returned ${result}`);
    file.set(pixels, g.headerLength);
  }
}
