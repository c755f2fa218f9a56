// Named errors with a stable code and a hint that says what to do next.
// The shell and the control protocol decide what to print from `code`,
// never from the message text.

export class EdgecamError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'EdgecamError';
    this.code = code;
    this.hint = hint;
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A bad argument: says what was expected, for which parameter, and what came. */
export class UsageError extends EdgecamError {
  constructor(parameter: string, expected: string, received: unknown, usage?: string) {
    super(
      'USAGE',
      `Expected ${expected} for ${parameter} but received ${describe(received)}`,
      usage ? `usage: ${usage}` : undefined,
    );
    this.name = 'UsageError';
  }
}

export class PluginError extends EdgecamError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, hint);
    this.name = 'PluginError';
  }
}

export class SetupError extends EdgecamError {
  constructor(message: string, fix: string) {
    super('SETUP', message, fix);
    this.name = 'SetupError';
  }
}

export class ConnectionError extends EdgecamError {
  constructor(message: string, hint?: string) {
    super('CONNECTION', message, hint);
    this.name = 'ConnectionError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value) ?? String(value);
}

/** Turns anything thrown into the {code, message, hint} shape of the protocol. */
export function toErrorRecord(error: unknown): { code: string; message: string; hint?: string } {
  if (error instanceof EdgecamError) return error.toJSON();
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'INTERNAL';
    return { code, message: error.message };
  }
  return { code: 'INTERNAL', message: String(error) };
}
