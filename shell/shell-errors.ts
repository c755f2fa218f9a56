// The shell's own named errors. Like the daemon's, each has a stable code
// the shell prints from, and a hint that says what to do next.

import { ConnectionError, EdgecamError } from '../core/errors.js';

/** A command stopped by Ctrl-C (or a dashboard key) before it finished. */
export class CancelledError extends EdgecamError {
  constructor(what: string) {
    super('CANCELLED', `${what} cancelled`);
    this.name = 'CancelledError';
  }
}

/** A daemon command typed while no daemon is attached. */
export class NotAttachedError extends EdgecamError {
  constructor(cmd: string, lastAddress?: string) {
    super(
      'NOT_ATTACHED',
      `'${cmd}' needs a daemon, and the shell is not attached to one`,
      lastAddress
        ? `type \`attach\` to attach to ${lastAddress} again`
        : 'type `attach unix:PATH` or `attach tcp://HOST:PORT`',
    );
    this.name = 'NotAttachedError';
  }
}

/** A `wait` or `expect` whose condition did not hold; carries what was seen. */
export class ExpectationError extends EdgecamError {
  constructor(
    message: string,
    readonly seen: Record<string, unknown>,
  ) {
    super('EXPECT_FAILED', message);
    this.name = 'ExpectationError';
  }
}

/** A recipe that stopped at a line; `failure` is the error that line raised. */
export class RecipeError extends EdgecamError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly command: string,
    readonly failure: EdgecamError,
  ) {
    super('RECIPE_FAILED', `${file}:${line}: ${command}\n  ${failure.message}`, failure.hint);
    this.name = 'RecipeError';
  }
}

/** Nothing listens there: the one failure that `edgecam` answers by starting a daemon. */
export class NoDaemonError extends ConnectionError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'NoDaemonError';
  }
}
