// Where a person must choose or confirm: @inquirer/prompts on the terminal
// the REPL lends. Loaded only when a prompt is needed; recipes, `exec` and
// --yes never reach here.

import { CancelledError } from './shell-errors.js';
import type { TerminalHandover } from './terminal-handover.js';

export interface PluginChoice {
  name: string;
  summary: string;
  args: Array<{ name: string; default: number; min: number; max: number; help?: string }>;
  hostile?: boolean;
}

/** Offers the plugins, each with its summary; resolves to the chosen name. */
export async function choosePlugin(
  plugins: PluginChoice[],
  current: string | undefined,
  terminal: TerminalHandover,
  signal: AbortSignal,
): Promise<string> {
  const { select } = await import('@inquirer/prompts');
  const width = Math.max(...plugins.map((p) => p.name.length)) + 2;
  const choices = plugins.map((p) => ({
    value: p.name,
    name: `${p.name.padEnd(width)}${p.summary}${p.name === current ? '  (running)' : ''}`,
    short: p.name,
    description: p.args.length
      ? `arguments: ${p.args.map((a) => `${a.name} ${a.min}..${a.max} (${a.default})`).join('; ')}`
      : 'no arguments',
  }));
  const message = 'Load which plugin? (hot swap; tiles keep flowing)';
  return ask('load', terminal, signal, (context) =>
    select({ message, choices, default: current, pageSize: 12 }, context),
  );
}

/** Asks yes or no (Enter takes `byDefault`); Ctrl-C counts as no. */
export async function confirmAction(
  message: string,
  terminal: TerminalHandover,
  signal: AbortSignal,
  byDefault = false,
): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  try {
    return await ask('confirm', terminal, signal, (context) =>
      confirm({ message, default: byDefault }, context),
    );
  } catch (error) {
    if (error instanceof CancelledError) return false;
    throw error;
  }
}

interface Context {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  signal: AbortSignal;
}

async function ask<T>(
  what: string,
  terminal: TerminalHandover,
  signal: AbortSignal,
  prompt: (context: Context) => Promise<T>,
): Promise<T> {
  try {
    return await terminal.lend(({ input, output }) => prompt({ input, output, signal }));
  } catch (error) {
    // Ctrl-C or an abort inside a prompt: the person changed their mind.
    const name = (error as Error)?.name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
      throw new CancelledError(what);
    }
    throw error;
  }
}
