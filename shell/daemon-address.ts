// Where a shell attaches: a UNIX socket on this machine or a TCP port with a
// token. Tokens come from a file or the environment, never from argv, where
// `ps` would show them to every user.

import fs from 'node:fs';
import path from 'node:path';

import { UsageError } from '../core/errors.js';

export type DaemonAddress =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const ADDRESS_USAGE = 'attach unix:PATH | tcp://HOST:PORT [--token-file FILE]';

/** Parses `unix:PATH`, `tcp://HOST:PORT`, or a bare socket path. */
export function parseAddress(text: string): DaemonAddress {
  if (text.startsWith('tcp://')) {
    const match = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) {
      throw new UsageError(
        'the address',
        'tcp://HOST:PORT with a port in 1..65535',
        text,
        ADDRESS_USAGE,
      );
    }
    return { kind: 'tcp', host: match[1].replace(/^\[|\]$/g, ''), port };
  }
  const socketPath = text.startsWith('unix:') ? text.slice('unix:'.length) : text;
  if (socketPath.length === 0 || /^[a-z]+:\/\//i.test(socketPath)) {
    throw new UsageError('the address', 'unix:PATH or tcp://HOST:PORT', text, ADDRESS_USAGE);
  }
  return { kind: 'unix', path: path.resolve(socketPath) };
}

export function describeAddress(address: DaemonAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}

/**
 * The token for a TCP attach: the first line of `tokenFile` if given, else
 * $EDGECAM_TOKEN. Returns undefined when neither is set.
 */
export function readToken(tokenFile: string | undefined, env = process.env): string | undefined {
  if (tokenFile) {
    let text: string;
    try {
      text = fs.readFileSync(tokenFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        '--token-file',
        'a readable file holding the token',
        `${tokenFile} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        ADDRESS_USAGE,
      );
    }
    const token = text.split('\n')[0].trim();
    if (!token)
      throw new UsageError('--token-file', 'a token on the first line', `an empty ${tokenFile}`);
    return token;
  }
  const fromEnv = env.EDGECAM_TOKEN?.trim();
  return fromEnv ? fromEnv : undefined;
}
