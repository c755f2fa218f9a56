// A client of the daemon's control socket: requests and responses matched by
// id over newline-delimited JSON, pushed events (after `subscribe`) handed to
// listeners, and one notice when the connection is lost.

import net from 'node:net';

import { ConnectionError, EdgecamError } from '../core/errors.js';
import { describeAddress, type DaemonAddress } from './daemon-address.js';
import { NoDaemonError } from './shell-errors.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface ErrorRecord {
  code: string;
  message: string;
  hint?: string;
}

interface Message {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: ErrorRecord;
  event?: string;
  data?: unknown;
}

/** A message the daemon pushes without being asked: metrics or a log record. */
export interface PushedEvent {
  event: string;
  data: unknown;
}

/** How long a TCP daemon may take to answer the `auth` line. */
const AUTH_TIMEOUT_MS = 5000;

export class ControlClient {
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: PushedEvent) => void>();
  private readonly lostListeners = new Set<(error: Error) => void>();
  private nextId = 1;
  private buffered = '';
  private closedError?: Error;
  private closing = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) =>
      this.fail(new ConnectionError(`connection to ${address} failed: ${error.message}`)),
    );
    socket.on('close', () =>
      this.fail(
        new ConnectionError(
          `the daemon at ${address} closed the connection`,
          'is it still running? try `edgecam exec status`',
        ),
      ),
    );
    // authenticate() leaves the socket paused so no line is lost in between.
    socket.resume();
  }

  /** Connects to a daemon's UNIX socket. */
  static connect(socketPath: string): Promise<ControlClient> {
    return ControlClient.attach({ kind: 'unix', path: socketPath });
  }

  /**
   * Connects to a daemon at `address`. Over TCP the first line sent is
   * {"auth": token}, and the client is returned only once the daemon accepts it.
   */
  static async attach(address: DaemonAddress, token?: string): Promise<ControlClient> {
    const label = describeAddress(address);
    if (address.kind === 'tcp' && !token) {
      throw new EdgecamError(
        'AUTH',
        `attaching to ${label} needs the daemon's token`,
        'pass --token-file FILE, or set EDGECAM_TOKEN in the environment',
      );
    }
    const socket = await openSocket(address, label);
    if (address.kind === 'tcp') await authenticate(socket, token!, label);
    return new ControlClient(socket, label);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends one command; a signal that aborts stops waiting (the daemon may still finish it). */
  request(cmd: string, args: string[] = [], signal?: AbortSignal): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const abort = () => {
        this.pending.delete(id);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener('abort', abort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abort);
          reject(error);
        },
      });
      this.socket.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  /** Receives every pushed event; returns the function that stops it. */
  onEvent(listener: (event: PushedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called once if the connection ends without `close()` being called. */
  onLost(listener: (error: Error) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  close(): void {
    this.closing = true;
    this.socket.end();
    this.socket.destroySoon();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (!line.trim()) continue;
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        this.fail(
          new ConnectionError(`${this.address} sent a line that is not JSON: ${line.slice(0, 80)}`),
        );
        this.socket.destroy();
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.id === undefined) {
      if (typeof message.event === 'string') {
        const event = { event: message.event, data: message.data };
        for (const listener of this.eventListeners) listener(event);
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(toError(message.error));
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    if (!this.closing) for (const listener of this.lostListeners) listener(error);
  }
}

function toError(record: ErrorRecord | undefined): EdgecamError {
  if (!record)
    return new EdgecamError('INTERNAL', 'the daemon answered with an error but no record');
  return new EdgecamError(record.code, record.message, record.hint);
}

function openSocket(address: DaemonAddress, label: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      address.kind === 'unix'
        ? net.connect(address.path)
        : net.connect({ host: address.host, port: address.port });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const message = `cannot attach to ${label}: ${explain(error)}`;
      const nobody = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      reject(
        nobody
          ? new NoDaemonError(message, hintFor(address))
          : new ConnectionError(message, hintFor(address)),
      );
    });
  });
}

function explain(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return 'no daemon is listening there';
    case 'EACCES':
      return 'permission denied: the socket belongs to another user';
    default:
      return error.message;
  }
}

function hintFor(address: DaemonAddress): string {
  return address.kind === 'unix'
    ? 'start one with `edgecam daemon`, or pass --socket PATH'
    : 'start it with `edgecam daemon --listen HOST:PORT --token-file FILE`, and check the address';
}

/** Sends {"auth": token} and waits for the daemon's one-line verdict. */
function authenticate(socket: net.Socket, token: string, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.pause();
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve();
      }
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      let answer: Message;
      try {
        answer = JSON.parse(buffered.slice(0, nl)) as Message;
      } catch {
        return finish(new ConnectionError(`${label} did not answer the auth line with JSON`));
      }
      if (buffered.length > nl + 1) socket.unshift(Buffer.from(buffered.slice(nl + 1), 'utf8'));
      if (answer.ok) return finish();
      const record = answer.error ?? { code: 'AUTH', message: 'refused' };
      finish(
        new EdgecamError(
          'AUTH',
          `${label} refused the token: ${record.message}`,
          'check the token file or EDGECAM_TOKEN',
        ),
      );
    };
    const onClose = () =>
      finish(
        new EdgecamError(
          'AUTH',
          `${label} closed the connection during auth`,
          'check the token file or EDGECAM_TOKEN',
        ),
      );
    const timer = setTimeout(
      () =>
        finish(
          new ConnectionError(`${label} did not answer the auth line within ${AUTH_TIMEOUT_MS} ms`),
        ),
      AUTH_TIMEOUT_MS,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(JSON.stringify({ auth: token }) + '\n');
  });
}
