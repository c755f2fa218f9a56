// Plays a recipe: each line runs as if typed, `sleep` scaled by --speed,
// --step asking before each line. The first line that fails stops the play
// with the file, the line and what was seen, so a recipe doubles as a test.

import path from 'node:path';

import { EdgecamError, UsageError } from '../core/errors.js';
import type { CommandContext } from './command-context.js';
import { runWords } from './command-runner.js';
import { readRecipe, type RecipeStep } from './recipe-file.js';
import { CancelledError, ExpectationError, RecipeError } from './shell-errors.js';

export interface ReplayOptions {
  file: string;
  speed: number;
  step: boolean;
  vars: Record<string, string>;
  /** Receives each step as it ends (for --json); `say` stays quiet then. */
  onStep?: (record: StepRecord) => void;
}

export interface StepRecord {
  file: string;
  line: number;
  command: string;
  ok: boolean;
  ms: number;
  result?: unknown;
  error?: { code: string; message: string; hint?: string; seen?: unknown };
  skipped?: boolean;
}

export interface RecipeReport {
  file: string;
  steps: number;
  skipped: number;
  ms: number;
  passed: true;
}

export const REPLAY_USAGE = 'FILE [--speed X] [--step] [--var NAME=VALUE]...';

/** Reads `FILE --speed X --step --var NAME=VALUE` as typed after replay or run. */
export function parseReplayOptions(args: string[], cmd: string): ReplayOptions {
  const usage = `${cmd} ${REPLAY_USAGE}`;
  const options: ReplayOptions = { file: '', speed: 1, step: false, vars: {} };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === '--step') options.step = true;
    else if (word === '--speed') {
      const speed = Number(args[++i]);
      if (!(speed > 0 && speed <= 1000))
        throw new UsageError('--speed', 'a number above 0 and up to 1000', args[i], usage);
      options.speed = speed;
    } else if (word === '--var') {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(args[++i] ?? '');
      if (!match) throw new UsageError('--var', 'NAME=VALUE', args[i], usage);
      options.vars[match[1]] = match[2];
    } else if (word.startsWith('--')) {
      throw new UsageError(cmd, '--speed, --step or --var', word, usage);
    } else files.push(word);
  }
  if (files.length !== 1)
    throw new UsageError(cmd, 'one recipe file', files.join(' ') || undefined, usage);
  options.file = files[0];
  return options;
}

export async function runRecipe(
  file: string,
  options: ReplayOptions,
  ctx: CommandContext,
): Promise<RecipeReport> {
  const shown = displayName(file);
  if (ctx.recipeStack.includes(file)) {
    throw new EdgecamError(
      'RECIPE_LOOP',
      `${shown} replays itself (${[...ctx.recipeStack, file].map(displayName).join(' -> ')})`,
      'remove the replay line that closes the loop',
    );
  }
  const recipe = readRecipe(file, options.vars);
  const inner: CommandContext = {
    ...ctx,
    // Rule: a recipe never prompts. Reason: it must run the same unattended.
    interactive: false,
    baseDir: path.dirname(file),
    recipeStack: [...ctx.recipeStack, file],
  };

  const started = Date.now();
  let skipped = 0;
  for (const step of recipe.steps) {
    if (options.step && !(await confirmStep(step, shown, ctx))) {
      skipped++;
      options.onStep?.({
        file: shown,
        line: step.line,
        command: step.text,
        ok: true,
        ms: 0,
        skipped: true,
      });
      continue;
    }
    await runStep(step, shown, options, inner);
  }
  return {
    file: shown,
    steps: recipe.steps.length - skipped,
    skipped,
    ms: Date.now() - started,
    passed: true,
  };
}

async function runStep(
  step: RecipeStep,
  shown: string,
  options: ReplayOptions,
  ctx: CommandContext,
): Promise<void> {
  const isEcho = step.words[0] === 'echo';
  if (!isEcho) ctx.say(`› ${step.text}`);
  const began = Date.now();
  try {
    const outcome = await runWords(step.words, ctx);
    if (outcome.text) ctx.say(outcome.text);
    options.onStep?.({
      file: shown,
      line: step.line,
      command: step.text,
      ok: true,
      ms: Date.now() - began,
      result: outcome.result,
    });
  } catch (error) {
    if (error instanceof CancelledError || error instanceof RecipeError) throw error;
    const failure =
      error instanceof EdgecamError
        ? error
        : new EdgecamError('INTERNAL', (error as Error).message);
    options.onStep?.({
      file: shown,
      line: step.line,
      command: step.text,
      ok: false,
      ms: Date.now() - began,
      error: {
        ...failure.toJSON(),
        ...(failure instanceof ExpectationError ? { seen: failure.seen } : {}),
      },
    });
    throw new RecipeError(shown, step.line, step.text, failure);
  }
}

/** --step: shows the next line and waits for Enter (run), s (skip) or q (stop). */
async function confirmStep(step: RecipeStep, shown: string, ctx: CommandContext): Promise<boolean> {
  if (!ctx.readAnswer) {
    throw new EdgecamError(
      'NEEDS_TERMINAL',
      '--step asks before each line and needs a person at a terminal',
      'drop --step, or run it in a terminal',
    );
  }
  const answer = (
    await ctx.readAnswer(
      `${shown}:${step.line}  ${step.text}   [Enter] run, s skip, q stop: `,
      ctx.signal,
    )
  ).trim();
  if (answer === 'q') throw new CancelledError(`replay of ${shown}`);
  return answer !== 's';
}

/** A recipe's name as a person would type it: relative to here when it is below here. */
function displayName(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
