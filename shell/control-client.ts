// A client of the daemon's control socket: one request, one response, in
// order, over newline-delimited JSON.

import net from 'node:net';

import { ConnectionError, EdgecamError } from '../core/errors.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class ControlClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';
  private closedError?: Error;

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
  }

  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, socketPath));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? 'no daemon is listening there'
            : error.code === 'EACCES'
              ? 'permission denied: the socket belongs to another user'
              : error.message;
        reject(
          new ConnectionError(
            `cannot attach to ${socketPath}: ${why}`,
            'start one with `edgecam daemon`, or pass --socket PATH',
          ),
        );
      });
    });
  }

  request(cmd: string, args: string[] = []): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  close(): void {
    this.socket.end();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line.trim()) this.dispatch(JSON.parse(line));
    }
  }

  private dispatch(message: {
    id?: number;
    ok?: boolean;
    result?: unknown;
    error?: { code: string; message: string; hint?: string };
  }) {
    if (message.id === undefined) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else
      pending.reject(
        new EdgecamError(message.error!.code, message.error!.message, message.error!.hint),
      );
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
