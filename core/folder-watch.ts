// `feed --watch DIR`: keeps feeding tiles that appear in a folder, as a
// camera drops them. fs.watch gives prompt notice; a rescan every second
// catches what it misses (it can, on some filesystems). Files already in the
// pipeline or already written are skipped by the pipeline itself.
//
// Rule: a camera must write a tile under a dot-name and rename it into
// place. Reason: a file read while still being written is truncated, and a
// truncated tile is quarantined, not waited for.

import fs from 'node:fs';

export class FolderWatch {
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private scheduled = false;

  constructor(
    readonly dir: string,
    private readonly list: (dir: string) => string[],
    private readonly feed: (files: string[]) => void,
  ) {}

  start(): void {
    this.scan();
    this.watcher = fs.watch(this.dir, () => this.scheduleScan());
    this.watcher.on('error', () => undefined);
    this.timer = setInterval(() => this.scan(), 1000);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }

  private scheduleScan(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.scan();
    }, 20);
  }

  private scan(): void {
    let files: string[];
    try {
      files = this.list(this.dir);
    } catch {
      return;
    }
    if (files.length) this.feed(files);
  }
}
