// `help` and `help COMMAND`: the vocabulary table, grouped as an operator
// thinks of it, and one command's usage with examples.

import { EdgecamError } from '../core/errors.js';
import { closest } from './metric-condition.js';
import {
  commandNames,
  findShellCommand,
  GROUP_TITLES,
  VOCABULARY,
  type CommandGroup,
} from './vocabulary.js';

export function formatHelp(): string {
  const width = Math.max(...VOCABULARY.map((c) => c.name.length)) + 2;
  const lines: string[] = [];
  for (const group of Object.keys(GROUP_TITLES) as CommandGroup[]) {
    lines.push(GROUP_TITLES[group]);
    for (const c of VOCABULARY.filter((v) => v.group === group)) {
      lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
    }
  }
  lines.push(
    '',
    'help COMMAND shows its usage and examples. Tab completes; Ctrl-C cancels; quit leaves.',
  );
  return lines.join('\n');
}

export function formatCommandHelp(word: string): string {
  const c = findShellCommand(word);
  if (!c) throw unknownCommand(word);
  const lines = [`usage: ${c.usage}`, `  ${c.summary}`];
  if (c.note) lines.push(`  In the shell: ${c.note}.`);
  if (c.examples?.length) lines.push('examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** The error for a word that is not a command, with the nearest one if it looks like a typo. */
export function unknownCommand(word: string): EdgecamError {
  const near = closest(word, commandNames());
  return new EdgecamError(
    'UNKNOWN_COMMAND',
    `unknown command '${word}'; expected one of: ${commandNames().join(', ')}`,
    near
      ? `did you mean \`${near}\`? \`help ${near}\` shows its usage`
      : '`help` lists every command',
  );
}
