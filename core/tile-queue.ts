// The intake queue: tiles waiting for a slot. Taking from the front is O(1)
// (Array.shift moves the whole array: with 30,000 tiles fed at once it was
// a tenth of the daemon's thread), and retried tiles go in front.

import type { Tile } from './tile.js';

export class TileQueue {
  private items: Array<Tile | undefined> = [];
  private head = 0;
  /** Retried tiles, taken before the others, the latest first. */
  private readonly front: Tile[] = [];

  get length(): number {
    return this.front.length + this.items.length - this.head;
  }

  push(tile: Tile): void {
    this.items.push(tile);
  }

  unshift(tile: Tile): void {
    this.front.push(tile);
  }

  shift(): Tile | undefined {
    if (this.front.length) return this.front.pop();
    if (this.head === this.items.length) return undefined;
    const tile = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the taken part now and then, so memory follows what is left.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return tile;
  }
}
