// Reads a `.edge` recipe: one command per line, `#` comments, blank lines,
// and ${NAME} or ${NAME:-DEFAULT} filled from --var, then the environment.
// Every line is checked before the first one runs, so a typo on line 30
// does not leave a half-played recipe behind.

import fs from 'node:fs';
import path from 'node:path';

import { splitWords } from '../core/commands.js';
import { EdgecamError } from '../core/errors.js';
import { parseDuration } from './durations.js';
import { unknownCommand } from './help-text.js';
import { parseCondition } from './metric-condition.js';
import { findShellCommand } from './vocabulary.js';

export interface RecipeStep {
  /** 1-based line number in the file. */
  line: number;
  /** The line with its variables filled in. */
  text: string;
  words: string[];
}

export interface Recipe {
  file: string;
  steps: RecipeStep[];
}

/**
 * Reads and checks `file`. Variables: `vars` first, then built-ins
 * (RECIPE_DIR: the recipe's folder), then `env`.
 */
export function readRecipe(file: string, vars: Record<string, string>, env = process.env): Recipe {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EdgecamError(
      'RECIPE_FILE',
      `cannot read the recipe ${file} (${code})`,
      'check the path; recipes end in .edge',
    );
  }
  const lookup = (name: string) =>
    vars[name] ?? (name === 'RECIPE_DIR' ? path.dirname(file) : env[name]);

  const steps: RecipeStep[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const text = substitute(trimmed, lookup, `${file}:${line}`);
    const words = splitWords(text);
    checkStep(words, `${file}:${line}`);
    steps.push({ line, text, words });
  });
  return { file, steps };
}

/** Fills ${NAME} and ${NAME:-DEFAULT}; `\${` stays a literal `${`. */
export function substitute(
  text: string,
  lookup: (name: string) => string | undefined,
  where: string,
): string {
  return text.replace(
    /(\\?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (whole, escape, name, fallback) => {
      if (escape) return whole.slice(1);
      const value = lookup(name);
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new EdgecamError(
        'RECIPE_VAR',
        `${where}: \${${name}} is not set`,
        `pass --var ${name}=VALUE, or export ${name}=VALUE before running the recipe`,
      );
    },
  );
}

/** The checks that need no daemon: a known command, and well-formed shell words. */
function checkStep(words: string[], where: string): void {
  const command = findShellCommand(words[0]);
  const fail = (error: EdgecamError) => {
    throw new EdgecamError(error.code, `${where}: ${error.message}`, error.hint);
  };
  if (!command) return fail(unknownCommand(words[0]));
  const usage = command.usage;
  try {
    if (command.name === 'wait' || command.name === 'expect') {
      parseCondition(words.slice(1), command.name, usage);
    } else if (command.name === 'sleep') {
      parseDuration(words[1], 'sleep', usage);
    } else if (command.name === 'watch' || command.name === 'record') {
      throw new EdgecamError(
        'NEEDS_TERMINAL',
        `${command.name} needs a person at the shell; a recipe cannot use it`,
      );
    }
  } catch (error) {
    fail(error as EdgecamError);
  }
}
