// The daemon's control socket: newline-delimited JSON requests and responses
// on a UNIX socket private to its user (folder 0700, socket 0600), and
// optionally on TCP, where the first line must carry the token. Bad input
// gets an error response; nothing a client sends can reach the pipeline
// except through a parsed, checked request.

import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { parseRequest, type Request } from './commands.js';
import { EdgecamError, toErrorRecord } from './errors.js';
import type { Logger } from './logger.js';

/** Longest request line accepted; a longer one is refused and the client closed. */
export const MAX_LINE_BYTES = 1 << 20;

export type Handler = (request: Request, client: ControlClient) => Promise<unknown>;

/** Unsent bytes past which pushes to a client are skipped, and past which it is cut off. */
const CONGESTED_BYTES = 256 << 10;
const ABANDONED_BYTES = 4 << 20;

export interface ControlClient {
  readonly id: number;
  send(message: unknown): void;
  /** True while the client reads slower than it is sent to: skip what can be skipped. */
  readonly congested: boolean;
  readonly closed: boolean;
  onClose(callback: () => void): void;
}

export class ControlServer {
  private readonly server: net.Server;
  private tcpServer?: net.Server;
  private tokenDigest?: Buffer;
  /** True once this server made the socket file; only then may close() remove it. */
  private owned = false;
  private readonly sockets = new Set<net.Socket>();
  private nextClient = 1;

  constructor(
    private readonly socketPath: string,
    private readonly handler: Handler,
    private readonly logger: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket, true));
  }

  async listen(): Promise<void> {
    const dir = path.dirname(this.socketPath);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; the folder must be ours alone.
    await fs.promises.chmod(dir, 0o700);
    await claimSocketPath(this.socketPath);

    // Rule: the socket is created 0600 rather than chmod-ed after listen.
    // Reason: between bind and chmod another user could connect.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.socketPath, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    this.owned = true;
  }

  /**
   * Adds a TCP listener. Every connection must first send {"auth": TOKEN};
   * the token is compared in constant time (as SHA-256 digests, so its
   * length leaks nothing either).
   */
  async listenTcp(host: string, port: number, token: string): Promise<number> {
    this.tokenDigest = createHash('sha256').update(token).digest();
    const server = net.createServer((socket) => this.accept(socket, false));
    this.tcpServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const tcp = this.tcpServer;
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
    if (this.owned) await fs.promises.rm(this.socketPath, { force: true });
    this.owned = false;
  }

  private accept(socket: net.Socket, trusted: boolean): void {
    this.sockets.add(socket);
    let authenticated = trusted;
    const closeCallbacks: Array<() => void> = [];
    const client: ControlClient = {
      id: this.nextClient++,
      get closed() {
        return socket.destroyed;
      },
      get congested() {
        return socket.writableLength > CONGESTED_BYTES;
      },
      send: (message: unknown) => {
        if (socket.destroyed) return;
        // Rule: a client that stops reading is cut off, not buffered for.
        // Reason: what it does not read stays in the daemon's memory.
        if (socket.writableLength > ABANDONED_BYTES) {
          this.logger.warn('client-dropped', 'a client stopped reading; connection closed', {
            unsent: socket.writableLength,
          });
          socket.destroy();
          return;
        }
        socket.write(JSON.stringify(message) + '\n');
      },
      onClose(callback) {
        closeCallbacks.push(callback);
      },
    };

    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        buffered.push(chunk.subarray(start, nl));
        const line = Buffer.concat(buffered);
        buffered = [];
        bufferedBytes = 0;
        start = nl + 1;
        if (line.length > MAX_LINE_BYTES) return this.refuseLong(socket, client);
        if (!authenticated) {
          authenticated = this.authenticate(line, socket, client);
          if (!authenticated) return;
          continue;
        }
        void this.handleLine(line, client);
      }
      buffered.push(chunk.subarray(start));
      bufferedBytes += chunk.length - start;
      if (bufferedBytes > MAX_LINE_BYTES) this.refuseLong(socket, client);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      closeCallbacks.forEach((callback) => callback());
    });
  }

  private authenticate(line: Buffer, socket: net.Socket, client: ControlClient): boolean {
    let token: unknown;
    try {
      token = (JSON.parse(line.toString('utf8')) as { auth?: unknown }).auth;
    } catch {
      token = undefined;
    }
    const digest = createHash('sha256')
      .update(typeof token === 'string' ? token : '')
      .digest();
    if (typeof token === 'string' && timingSafeEqual(digest, this.tokenDigest!)) {
      client.send({ ok: true, result: { authenticated: true } });
      return true;
    }
    this.logger.warn(
      'auth-refused',
      `bad or missing token from ${socket.remoteAddress}:${socket.remotePort}`,
      {
        remote: socket.remoteAddress,
      },
    );
    client.send({
      ok: false,
      error: {
        code: 'AUTH',
        message: 'the token is missing or wrong; the connection is closed',
        hint: 'send {"auth": TOKEN} as the first line; the token is in the daemon\'s --token-file',
      },
    });
    socket.end();
    return false;
  }

  private refuseLong(socket: net.Socket, client: ControlClient): void {
    client.send({
      ok: false,
      error: {
        code: 'LINE_TOO_LONG',
        message: `request line over ${MAX_LINE_BYTES} bytes; the connection is closed`,
        hint: 'send one JSON object per line, e.g. {"cmd":"feed","args":["DIR"]}',
      },
    });
    socket.end();
    socket.destroy();
  }

  private async handleLine(line: Buffer, client: ControlClient): Promise<void> {
    const text = line.toString('utf8').trim();
    if (text.length === 0) return;

    let request: Request;
    let id: unknown;
    try {
      const value: unknown = JSON.parse(text);
      id = (value as { id?: unknown } | null)?.id;
      request = parseRequest(value);
    } catch (error) {
      const record =
        error instanceof EdgecamError
          ? error.toJSON()
          : {
              code: 'BAD_JSON',
              message: `request is not valid JSON: ${(error as Error).message}`,
              hint: 'send one JSON object per line, e.g. {"cmd":"status"}',
            };
      // Echo a usable id even on a refused request, so clients matching by id never hang.
      const echo = typeof id === 'number' || typeof id === 'string' ? { id } : {};
      client.send({ ...echo, ok: false, error: record });
      return;
    }

    try {
      const result = await this.handler(request, client);
      client.send({ id: request.id, ok: true, result });
    } catch (error) {
      const record = toErrorRecord(error);
      if (record.code === 'INTERNAL') {
        this.logger.error('command-failed', `${request.cmd}: ${record.message}`, {
          cmd: request.cmd,
        });
      }
      client.send({ id: request.id, ok: false, error: record });
    }
  }
}

/**
 * Makes sure the socket path is free: a socket file left by a daemon that
 * died is removed; a live daemon's is refused with DAEMON_RUNNING (and left
 * alone). Call it before starting anything else.
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  if (!fs.existsSync(socketPath)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new EdgecamError(
      'DAEMON_RUNNING',
      `a daemon is already listening on ${socketPath}`,
      'attach to it with `edgecam`, stop it with `edgecam exec stop`, or pass --socket PATH',
    );
  }
  await fs.promises.rm(socketPath, { force: true });
}
