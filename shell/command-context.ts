// What a command runs with and what it gives back. The REPL, `edgecam exec`
// and the recipe player each build a context; commands never ask which one
// they run under, only what the context allows (prompts, the full screen).

import type { Recorder } from './recorder.js';
import type { Session } from './session.js';
import type { TerminalHandover } from './terminal-handover.js';

export interface CommandContext {
  session: Session;
  /** Aborts when the person presses Ctrl-C; the reason is a CancelledError. */
  signal: AbortSignal;
  /** A person at a terminal: prompts and confirmations are allowed. */
  interactive: boolean;
  /** `--yes`: never ask for confirmation. */
  assumeYes: boolean;
  /** Relative paths resolve against this folder (the recipe's, or the working folder). */
  baseDir: string;
  /** `sleep` lasts its duration divided by this (replay --speed). */
  speed: number;
  /** Prints a line for a person; quiet under --json. */
  say(text: string): void;
  /** Shows (or, with null, clears) a one-line progress note that the next output replaces. */
  progress?(text: string | null): void;
  /** Present in the REPL: lets the dashboard and prompts take the terminal. */
  terminal?: TerminalHandover;
  /** Present in the REPL: `record` writes through it. */
  recorder?: Recorder;
  /** Recipes replayed inside recipes, to refuse a recipe that replays itself. */
  recipeStack: string[];
  /** Answers a --step pause: resolves to the line the person typed. */
  readAnswer?(question: string, signal: AbortSignal): Promise<string>;
}

export interface Outcome {
  cmd: string;
  /** The line as it ran (paths made absolute): what a recording keeps. */
  line: string;
  /** The daemon's answer or the shell command's figures, for --json. */
  result?: unknown;
  /** What a person reads. */
  text?: string;
  /** `quit`: leave the shell. */
  quit?: boolean;
}
