// The conditions of `wait` and `expect`: METRIC OP VALUE, where METRIC is a
// dotted path into the daemon's `status` (tiles.written, errors.timeout,
// hosts.0.state, hosts.length) and VALUE is a number, true/false, another
// metric path, or a word compared as text.

import { EdgecamError, UsageError } from '../core/errors.js';

export const OPERATORS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  metric: string;
  op: Operator;
  value: string;
}

export interface Verdict {
  holds: boolean;
  actual: unknown;
  expected: unknown;
  /** The condition with its values filled in, for messages: "tiles.written is 31". */
  seen: string;
}

/** Reads METRIC OP VALUE from the front of `words`; the rest is returned untouched. */
export function parseCondition(
  words: string[],
  cmd: string,
  usage: string,
): { condition: Condition; rest: string[] } {
  const [metric, op, value, ...rest] = words;
  if (!metric || !/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(metric)) {
    throw new UsageError(
      `the metric of ${cmd}`,
      'a dotted path into status like tiles.written',
      metric,
      usage,
    );
  }
  if (!(OPERATORS as readonly string[]).includes(op)) {
    throw new UsageError(`the operator of ${cmd}`, `one of ${OPERATORS.join(' ')}`, op, usage);
  }
  if (value === undefined) {
    throw new UsageError(
      `the value of ${cmd}`,
      'a number, true, false, a metric or a word',
      value,
      usage,
    );
  }
  return { condition: { metric, op: op as Operator, value }, rest };
}

/** The value at a dotted path, or `found: false`. Arrays take indices and `length`. */
export function lookupMetric(
  status: unknown,
  metricPath: string,
): { found: boolean; value: unknown } {
  let node: unknown = status;
  for (const key of metricPath.split('.')) {
    if (node === null || typeof node !== 'object' || !(key in (node as object))) {
      return { found: false, value: undefined };
    }
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

/** Checks one condition against one status; throws UsageError for a metric that does not exist. */
export function evaluate(
  condition: Condition,
  status: unknown,
  cmd: string,
  usage: string,
): Verdict {
  const { metric, op, value } = condition;
  const left = lookupMetric(status, metric);
  if (!left.found) {
    const near = closest(metric, listMetrics(status));
    const expected =
      'a path into status (tiles.written, errors.timeout, hostRestarts, backlog.tiles, ...)';
    const error = new UsageError(`the metric of ${cmd}`, expected, metric, usage);
    if (!near) throw error;
    throw new EdgecamError('USAGE', error.message, `did you mean ${near}? ${error.hint}`);
  }
  const right = resolveValue(value, status);
  const actual = left.value;
  const expected = right.value;
  const holds = compare(actual, op, expected, metric, cmd);
  const seen = right.metric
    ? `${metric} is ${show(actual)}, ${value} is ${show(expected)}`
    : `${metric} is ${show(actual)}`;
  return { holds, actual, expected, seen };
}

function resolveValue(word: string, status: unknown): { value: unknown; metric: boolean } {
  if (/^-?\d+(\.\d+)?$/.test(word)) return { value: Number(word), metric: false };
  if (word === 'true' || word === 'false') return { value: word === 'true', metric: false };
  const found = lookupMetric(status, word);
  if (found.found && /^[A-Za-z_]/.test(word)) return { value: found.value, metric: true };
  return { value: word, metric: false };
}

function compare(
  actual: unknown,
  op: Operator,
  expected: unknown,
  metric: string,
  cmd: string,
): boolean {
  if (op === '==' || op === '!=') {
    const equal =
      typeof actual === 'number' && typeof expected === 'number'
        ? actual === expected
        : String(actual) === String(expected);
    return op === '==' ? equal : !equal;
  }
  if (typeof actual !== 'number' || typeof expected !== 'number') {
    throw new UsageError(
      `${op} in ${cmd}`,
      'numbers on both sides',
      `${metric} = ${show(actual)} against ${show(expected)}`,
      'use == or != to compare words',
    );
  }
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    default:
      return actual >= expected;
  }
}

export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

/** Every path to a number, word or boolean in status, for completion and hints. */
export function listMetrics(status: unknown, prefix = '', out: string[] = []): string[] {
  if (status === null || typeof status !== 'object') return out;
  if (Array.isArray(status)) out.push(`${prefix}length`);
  for (const [key, value] of Object.entries(status)) {
    const here = `${prefix}${key}`;
    if (value !== null && typeof value === 'object') listMetrics(value, `${here}.`, out);
    else out.push(here);
  }
  return out;
}

/** The known path nearest to `word` by edit distance, if it is close enough to be a typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
