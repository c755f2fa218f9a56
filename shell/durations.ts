// Durations as operators type them: `500ms`, `10s`, `1.5s`, `2m`, `1h`. The
// control protocol's own parser, so a recipe line reads like a request.

import { UsageError } from '../core/errors.js';
import { parseDuration as parseProtocolDuration } from '../core/faults.js';

/** Milliseconds of a duration word; `parameter` and `usage` shape the error. */
export function parseDuration(word: string | undefined, parameter: string, usage?: string): number {
  if (word === undefined) {
    throw new UsageError(parameter, 'a duration like 500ms, 10s, 2m or 1h', word, usage);
  }
  return Math.round(parseProtocolDuration(word, parameter, usage));
}

/** The shortest exact spelling of `ms`: 1500 -> 1.5s, 250 -> 250ms, 120000 -> 2m. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
