// A plugin's prints, cut into lines for the log, with bounds: a plugin is
// untrusted and must not fill the disk or the daemon's memory by printing.
// At most `perSecond` lines a second pass per stream, each at most
// `maxLine` characters; the rest is counted and reported once a second.

export class OutputLines {
  private partial = '';
  private windowStart = 0;
  private inWindow = 0;
  private dropped = 0;
  private reportTimer?: NodeJS.Timeout;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly reportDropped: (lines: number) => void,
    private readonly perSecond = 20,
    private readonly maxLine = 1000,
  ) {}

  push(chunk: Buffer): void {
    const text = chunk.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(this.partial + text.slice(start, nl));
      this.partial = '';
      start = nl + 1;
    }
    // A line without an end is kept only up to the length a line may have.
    if (this.partial.length < this.maxLine) {
      this.partial = (this.partial + text.slice(start)).slice(0, this.maxLine);
    }
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.report();
  }

  private report(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.dropped) this.reportDropped(this.dropped);
    this.dropped = 0;
  }

  private line(text: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.report();
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < this.perSecond) {
      this.inWindow++;
      this.emit(text.slice(0, this.maxLine));
      return;
    }
    this.dropped++;
    // A burst that ends is reported when its second is over, not at the next line.
    this.reportTimer ??= setTimeout(() => this.report(), this.windowStart + 1000 - now);
    this.reportTimer.unref();
  }
}
