// The operator's shell: node:repl with an evaluator of our own (the
// vocabulary, never JavaScript), Tab completion, history kept between
// sessions, Ctrl-C that cancels the running command, and a lost daemon met
// with an offer to reconnect rather than a crash.

import readline from 'node:readline';
import repl, { type REPLServer } from 'node:repl';
import { styleText } from 'node:util';

import { EdgecamError } from '../core/errors.js';
import type { CommandContext, Outcome } from './command-context.js';
import { runLine } from './command-runner.js';
import { Completer } from './completion.js';
import { History, HISTORY_SIZE, loadHistory } from './history.js';
import { Recorder } from './recorder.js';
import type { Session } from './session.js';
import { CancelledError } from './shell-errors.js';
import { TerminalHandover } from './terminal-handover.js';

export interface ReplOptions {
  session: Session;
  historyFile: string;
  assumeYes: boolean;
  /** Lines printed before the first prompt (what the shell attached to, or started). */
  banner: string[];
}

/** Runs the shell until quit, Ctrl-D or end of input; resolves to the exit status. */
export function runRepl(options: ReplOptions): Promise<number> {
  return new Promise((resolve) => new Shell(options, resolve).start());
}

/**
 * Runs `task` (and the promises it starts) outside the domain node:repl
 * wraps its evaluator in.
 *
 * Rule: commands run outside the REPL's domain. Reason: inside it, adding
 * an 'uncaughtException' listener throws ERR_INVALID_REPL_INPUT, and
 * blessed adds one whenever a screen opens (`watch`). The shell catches
 * every command's errors itself, so the domain has nothing to catch.
 */
function outsideReplDomain(task: () => void): void {
  const domain = (process as { domain?: { exit(): void; enter(): void } }).domain;
  domain?.exit();
  try {
    task();
  } finally {
    domain?.enter();
  }
}

class Shell {
  private readonly session: Session;
  private readonly input = process.stdin;
  private readonly output = process.stdout;
  private readonly tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  private readonly color = this.tty && !process.env.NO_COLOR;
  private readonly terminal?: TerminalHandover;
  private readonly recorder: Recorder;
  private readonly history: History;
  private server!: REPLServer;
  /** Lines run one after another, in the order typed, even when typed ahead. */
  private queue: Promise<void> = Promise.resolve();
  private running?: { name: string; controller: AbortController };
  private progressShown = false;
  /** Set by a `stop` that succeeded: the daemon going away next is what was asked for. */
  private stopRequested = false;

  constructor(
    private readonly options: ReplOptions,
    private readonly done: (code: number) => void,
  ) {
    this.session = options.session;
    if (process.env.EDGECAM_TOKEN) this.session.secrets.add(process.env.EDGECAM_TOKEN.trim());
    const holdsSecret = (line: string) =>
      this.session.holdsSecret(line) || /--token(=|\s|$)|"auth"/.test(line);
    this.recorder = new Recorder(holdsSecret);
    this.history = new History(options.historyFile, holdsSecret);
    if (this.tty) this.terminal = new TerminalHandover(this.input, this.output);
  }

  start(): void {
    for (const line of this.options.banner) this.say(line);
    const completer = new Completer(this.session, () => process.cwd());
    this.server = repl.start({
      prompt: this.promptText(),
      input: this.input,
      output: this.output,
      terminal: this.tty,
      eval: (line, _context, _file, callback) => this.evaluate(line, callback),
      completer: (
        line: string,
        callback: (error: Error | null, result: [string[], string]) => void,
      ) => {
        const now = completer.completeNow(line);
        if (now) return callback(null, now);
        completer.complete(line).then(
          (result) => callback(null, result),
          () => callback(null, [[], line]),
        );
      },
      ignoreUndefined: true,
      preview: false,
      historySize: HISTORY_SIZE,
    } as repl.ReplOptions);

    // Not JavaScript: the REPL's own dot-commands (.load, .editor, ...) are not ours.
    const commands = this.server.commands as Record<string, unknown>;
    for (const name of Object.keys(commands)) delete commands[name];
    const memory = (this.server as unknown as { history: string[] }).history;
    memory.push(...loadHistory(this.options.historyFile));

    this.server.removeAllListeners('SIGINT');
    this.server.on('SIGINT', () => this.interrupt());
    this.server.on('exit', () => this.leave());
    this.session.onLost((error, address) =>
      this.enqueue(() => this.offerReconnect(error, address)),
    );
  }

  private evaluate(line: string, callback: (error: Error | null, result?: unknown) => void): void {
    const text = line.trim();
    this.history.keep(text, (this.server as unknown as { history: string[] }).history);
    outsideReplDomain(() =>
      this.enqueue(async () => {
        const outcome = await this.runTyped(text);
        this.server.setPrompt(this.promptText());
        callback(null);
        if (outcome?.quit) this.server.close();
      }),
    );
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: Error) => this.printError(error));
  }

  /** Runs one typed line; prints its output or its error, never throws. */
  private async runTyped(line: string): Promise<Outcome | undefined> {
    if (!line) return undefined;
    const controller = new AbortController();
    this.running = { name: line.split(/\s+/)[0], controller };
    const startedAt = Date.now();
    try {
      const outcome = await runLine(line, this.context(controller.signal));
      if (outcome?.text) this.say(outcome.text);
      if (outcome) this.recorder.note(outcome.cmd, outcome.line, startedAt);
      if (outcome?.cmd === 'stop') this.stopRequested = true;
      return outcome;
    } catch (error) {
      this.printError(error);
      return undefined;
    } finally {
      this.clearProgress();
      this.running = undefined;
    }
  }

  private context(signal: AbortSignal): CommandContext {
    return {
      session: this.session,
      signal,
      interactive: this.tty,
      assumeYes: this.options.assumeYes,
      baseDir: process.cwd(),
      speed: 1,
      say: (text) => this.say(text),
      progress: this.tty ? (text) => this.showProgress(text) : undefined,
      terminal: this.terminal,
      recorder: this.recorder,
      recipeStack: [],
      readAnswer: this.terminal ? (question, s) => this.readAnswer(question, s) : undefined,
    };
  }

  /** Ctrl-C: cancels the running command, or clears the line being typed. */
  private interrupt(): void {
    if (this.running) {
      this.clearProgress();
      this.output.write('^C\n');
      this.running.controller.abort(new CancelledError(this.running.name));
      return;
    }
    const rl = this.server as unknown as { line: string; clearLine(): void };
    const hadText = rl.line.length > 0;
    rl.clearLine();
    if (!hadText) this.say(this.dim('(quit or Ctrl-D leaves the shell; the daemon keeps running)'));
    this.server.displayPrompt();
  }

  private leave(): void {
    // Lines piped in ahead of end-of-input still run before the shell goes.
    void this.queue.then(() => {
      const recording = this.recorder.active ? this.recorder.stop() : undefined;
      if (recording) this.say(recording);
      this.session.detach();
      this.done(0);
    });
  }

  private async offerReconnect(error: Error, address: string): Promise<void> {
    if (this.stopRequested) {
      this.stopRequested = false;
      this.printAbove(`the daemon at ${address} has stopped, as asked; the shell is detached`);
      this.server.setPrompt(this.promptText());
      this.server.displayPrompt(true);
      return;
    }
    this.printAbove(this.warn(`lost connection: ${error.message}`));
    let reattached = false;
    if (this.terminal) {
      const { confirmAction } = await import('./prompts.js');
      const again = await confirmAction(
        `Reconnect to ${address}?`,
        this.terminal,
        new AbortController().signal,
        true,
      );
      if (again) {
        try {
          await this.session.reattach();
          reattached = true;
          this.say(`attached to ${address} again`);
        } catch (reattachError) {
          this.printError(reattachError);
        }
      }
    }
    if (!reattached)
      this.say(
        'not attached: `attach` tries again; commands that need the daemon say so until then',
      );
    this.server.setPrompt(this.promptText());
    this.server.displayPrompt(true);
  }

  /** --step: asks on the lent terminal, so the REPL's prompt does not get in between. */
  private readAnswer(question: string, signal: AbortSignal): Promise<string> {
    return this.terminal!.lend(
      ({ input, output }) =>
        new Promise<string>((resolve, reject) => {
          const rl = readline.createInterface({ input, output, terminal: true });
          rl.on('SIGINT', () => {
            rl.close();
            reject(new CancelledError('replay'));
          });
          rl.question(question, { signal }, (answer) => {
            rl.close();
            resolve(answer);
          });
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    );
  }

  private promptText(): string {
    const address = this.session.address;
    let label = '';
    if (!this.session.attached) label = ' (detached)';
    else if (address?.kind === 'tcp') label = `@${address.host}:${address.port}`;
    return this.color ? `${styleText('bold', `edgecam${label}`)}> ` : `edgecam${label}> `;
  }

  private say(text: string): void {
    this.clearProgress();
    this.output.write(text + '\n');
  }

  /** Prints while the prompt may be showing: clears it first; the caller redraws it. */
  private printAbove(text: string): void {
    if (this.tty) {
      readline.clearLine(this.output, 0);
      readline.cursorTo(this.output, 0);
    }
    this.say(text);
  }

  private printError(error: unknown): void {
    if (error instanceof CancelledError) {
      this.say(this.dim(error.message));
      return;
    }
    if (error instanceof EdgecamError) {
      this.say(`${this.warn('error:')} ${error.message}`);
      if (error.hint) this.say(`  ${error.hint}`);
      return;
    }
    this.say(`${this.warn('error:')} ${(error as Error)?.message ?? String(error)}`);
    if (process.env.EDGECAM_DEBUG) this.say(String((error as Error)?.stack));
  }

  private showProgress(text: string | null): void {
    if (text === null) return this.clearProgress();
    const width = Math.max(10, (this.output.columns ?? 80) - 1);
    this.output.write(`\r\x1b[K${this.dim(text.slice(0, width))}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.output.write('\r\x1b[K');
    this.progressShown = false;
  }

  private dim(text: string): string {
    return this.color ? styleText('dim', text) : text;
  }

  private warn(text: string): string {
    return this.color ? styleText('red', text) : text;
  }
}
