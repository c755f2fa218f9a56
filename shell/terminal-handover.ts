// Lends the terminal to a full-screen or prompting guest (the dashboard, an
// @inquirer prompt) while the REPL sits quiet, then gives it back exactly as
// it was, whichever way the guest ends.
//
// Rule: the guest reads keys from a private stream fed from stdin, never
// from stdin itself. Reason: Node's readline and blessed each install their
// own keypress decoder on a stream they read; two decoders on stdin deliver
// every key twice, and the REPL would see the guest's keys too.

import { PassThrough } from 'node:stream';

/** What a guest gets: an input that behaves like a raw TTY, and the real output. */
export interface LentTerminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/** Sequences that undo what a full-screen guest may leave behind. */
const RESTORE_SCREEN =
  '\x1b[?1049l' + // leave the alternate screen
  '\x1b[?25h' + // show the cursor
  '\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l' + // stop mouse reporting
  '\x1b[0m'; // default colours

/** Puts the terminal back for a process about to end: screen, cursor, cooked mode. */
export function restoreTerminal(input: NodeJS.ReadStream, output: NodeJS.WriteStream): void {
  output.write(RESTORE_SCREEN);
  if (input.isTTY) input.setRawMode(false);
}

export class TerminalHandover {
  private lent = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  /** True while a guest holds the terminal. */
  get busy(): boolean {
    return this.lent;
  }

  /**
   * Runs `guest` with the terminal. The REPL's key handlers are detached for
   * the duration and restored afterwards, with raw mode back on; with
   * `fullScreen`, the screen is restored too.
   */
  async lend<T>(guest: (terminal: LentTerminal) => Promise<T>, fullScreen = false): Promise<T> {
    const stdin = this.input;
    const keyHandlers = stdin.listeners('keypress') as Array<(...args: unknown[]) => void>;
    for (const handler of keyHandlers) stdin.removeListener('keypress', handler);

    const keys = rawTtyStream(stdin);
    const forward = (chunk: Buffer | string) => keys.write(chunk);
    stdin.on('data', forward);
    this.lent = true;
    try {
      return await guest({ input: keys, output: this.output });
    } finally {
      stdin.removeListener('data', forward);
      keys.end();
      this.lent = false;
      if (fullScreen) this.output.write(RESTORE_SCREEN);
      for (const handler of keyHandlers) stdin.on('keypress', handler);
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.resume();
    }
  }
}

/** A stream that reads what stdin reads and answers like a TTY already in raw mode. */
function rawTtyStream(stdin: NodeJS.ReadStream): NodeJS.ReadStream {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream & { isRaw: boolean };
  Object.assign(stream, {
    isTTY: true,
    isRaw: true,
    // stdin stays raw the whole time; a guest switching modes must not
    // change that under the REPL that gets the terminal back.
    setRawMode: () => stream,
  });
  return stream;
}
