// `wait` and `expect`: the two words that make a recipe a test. `expect`
// checks status once; `wait` polls it until the condition holds or its time
// is up, and either failure says what values it saw.

import { UsageError } from '../core/errors.js';
import type { CommandContext, Outcome } from './command-context.js';
import { formatDuration, parseDuration, sleep } from './durations.js';
import { evaluate, parseCondition, show, type Condition } from './metric-condition.js';
import { ExpectationError } from './shell-errors.js';
import { findShellCommand } from './vocabulary.js';

/** How often `wait` asks for status: soon enough to feel immediate, cheap enough to ignore. */
const POLL_MS = 100;
const DEFAULT_WITHIN_MS = 10_000;

export async function runExpect(words: string[], ctx: CommandContext): Promise<Outcome> {
  const usage = findShellCommand('expect')!.usage;
  const { condition, rest } = parseCondition(words.slice(1), 'expect', usage);
  if (rest.length) throw new UsageError('expect', 'nothing after the value', rest.join(' '), usage);

  const status = await ctx.session.request('status', [], ctx.signal);
  const verdict = evaluate(condition, status, 'expect', usage);
  const line = words.join(' ');
  if (!verdict.holds) {
    throw new ExpectationError(`${line} failed: ${verdict.seen}`, {
      metric: condition.metric,
      actual: verdict.actual,
      expected: verdict.expected,
    });
  }
  return {
    cmd: 'expect',
    line,
    result: { ok: true, metric: condition.metric, actual: verdict.actual },
    text: `ok  ${line}  (${verdict.seen})`,
  };
}

export async function runWait(words: string[], ctx: CommandContext): Promise<Outcome> {
  const usage = findShellCommand('wait')!.usage;
  const { condition, rest } = parseCondition(words.slice(1), 'wait', usage);
  const withinMs = parseWithin(rest, usage);
  const line = words.join(' ');
  const started = Date.now();

  let first: unknown;
  let last: unknown;
  let polls = 0;
  try {
    for (;;) {
      const status = await ctx.session.request('status', [], ctx.signal);
      const verdict = evaluate(condition, status, 'wait', usage);
      if (polls++ === 0) first = verdict.actual;
      last = verdict.actual;
      const elapsed = Date.now() - started;
      if (verdict.holds) {
        const after = `${(elapsed / 1000).toFixed(1)} s`;
        return {
          cmd: 'wait',
          line,
          result: {
            ok: true,
            metric: condition.metric,
            actual: verdict.actual,
            elapsedMs: elapsed,
          },
          text: `ok  ${line}  (${verdict.seen}, after ${after})`,
        };
      }
      if (elapsed >= withinMs) throw timedOut(line, condition, first, last, elapsed);
      ctx.progress?.(
        `waiting: ${verdict.seen}, want ${condition.op} ${condition.value} ` +
          `(${(elapsed / 1000).toFixed(1)} of ${formatDuration(withinMs)})`,
      );
      await sleep(Math.min(POLL_MS, withinMs - elapsed), ctx.signal);
    }
  } finally {
    ctx.progress?.(null);
  }
}

function parseWithin(rest: string[], usage: string): number {
  if (rest.length === 0) return DEFAULT_WITHIN_MS;
  if (rest[0] !== 'within' || rest.length !== 2) {
    throw new UsageError(
      'wait',
      '`within DURATION` after the value, or nothing',
      rest.join(' '),
      usage,
    );
  }
  return parseDuration(rest[1], 'within', usage);
}

function timedOut(
  line: string,
  c: Condition,
  first: unknown,
  last: unknown,
  elapsedMs: number,
): ExpectationError {
  const seconds = (elapsedMs / 1000).toFixed(1);
  return new ExpectationError(
    `${line} failed: not met after ${seconds} s; ` +
      `${c.metric} was ${show(first)} at the start and ${show(last)} at the end`,
    { metric: c.metric, first, last, expected: `${c.op} ${c.value}`, elapsedMs },
  );
}
