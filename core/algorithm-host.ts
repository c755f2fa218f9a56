// One algorithm host: a separate OS process running build/host/edgecam-host,
// which executes the plugin under Wasmtime on tiles in the shared slot pool.
// This class spawns it, speaks the fd-3 protocol and reports its fate.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

import {
  MessageReader,
  MSG_SIZE,
  encodeRun,
  type HostMessage,
  type RunMessage,
} from './host-protocol.js';
import type { Logger } from './logger.js';
import { OutputLines } from './output-lines.js';

export type HostState = 'starting' | 'ready' | 'draining' | 'stopped' | 'dead';

export interface HostOptions {
  id: string;
  hostPath: string;
  modulePath: string;
  slots: number;
  slotSize: number;
  memfd: number;
  deadlineMs: number;
  memoryMb: number;
  logger: Logger;
  /** How long READY may take before the host is declared failed. */
  startTimeoutMs?: number;
}

export type DoneMessage = Extract<HostMessage, { type: 'done' }>;

export interface HostEvents {
  message: [HostMessage];
  done: [DoneMessage];
  exit: [{ code: number | null; signal: NodeJS.Signals | null; inFlight: number[] }];
}

export class AlgorithmHost extends EventEmitter<HostEvents> {
  readonly id: string;
  state: HostState = 'starting';
  pid = 0;
  tiles = 0;
  lastExecUs = 0;
  memoryBytes = 0;
  renewals = 0;
  fromCache = false;
  loadUs = 0;
  fatal?: string;
  /** Set when an operator's fault killed or stopped it: its death is no crash. */
  killedOnPurpose = false;
  /** When the host this one replaces died; cleared at this host's first written tile. */
  recoveryFrom?: number;
  /** Tile ids sent to the host and not yet answered, with the time sent. */
  readonly inFlight = new Map<number, number>();

  private child?: ChildProcess;
  private channel?: Socket;
  private readonly reader = new MessageReader();
  private exited?: Promise<void>;

  constructor(private readonly options: HostOptions) {
    super();
    this.id = options.id;
  }

  /** Spawns the process; resolves on READY, rejects with the host's reason. */
  start(): Promise<void> {
    const o = this.options;
    const args = [
      '--module',
      o.modulePath,
      '--slots',
      String(o.slots),
      '--slot-size',
      String(o.slotSize),
      '--deadline-ms',
      String(o.deadlineMs),
      '--memory-mb',
      String(o.memoryMb),
      '--host-id',
      o.id,
    ];
    const child = spawn(o.hostPath, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', o.memfd],
    });
    this.child = child;
    this.pid = child.pid ?? 0;
    this.channel = child.stdio[3] as Socket;

    this.captureOutput(child);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));

    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.kill();
        reject(new Error(`host ${o.id} sent no READY within ${o.startTimeoutMs ?? 10000} ms`));
      }, o.startTimeoutMs ?? 10000);
      const onMessage = (message: HostMessage) => {
        if (message.type === 'ready') {
          cleanup();
          this.state = 'ready';
          this.fromCache = message.fromCache;
          this.loadUs = message.loadUs;
          resolve();
        } else if (message.type === 'fatal') {
          cleanup();
          reject(new Error(`host ${o.id} failed to start: ${message.text}`));
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        reject(
          new Error(
            `host ${o.id} exited before READY (${signal ?? `code ${code}`})` +
              (this.fatal ? `: ${this.fatal}` : ''),
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('message', onMessage);
        child.off('exit', onExit);
      };
      this.on('message', onMessage);
      child.once('exit', onExit);

      this.listen(child);
    });
  }

  /** Sends a batch of tiles in one write; each is answered by a 'done'. */
  send(runs: RunMessage[]): void {
    if (!this.channel || runs.length === 0) return;
    const buf = Buffer.allocUnsafe(runs.length * MSG_SIZE);
    const now = performance.now();
    runs.forEach((run, i) => {
      encodeRun(run, buf, i * MSG_SIZE);
      this.inFlight.set(run.tileId, now);
    });
    this.channel.write(buf);
  }

  /** Asks the host to finish what it holds and exit (closes its channel). */
  async close(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'dead') return;
    this.state = 'draining';
    this.channel?.end();
    const forced = setTimeout(() => this.kill(), 5000);
    await this.exited;
    clearTimeout(forced);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  waitForExit(): Promise<void> {
    return this.exited ?? Promise.resolve();
  }

  private listen(child: ChildProcess): void {
    this.channel!.on('data', (chunk: Buffer) => {
      for (const message of this.reader.push(chunk)) this.handle(message);
    });
    // A broken channel shows up as the process's exit; nothing to do here.
    this.channel!.on('error', () => undefined);

    child.once('exit', (code, signal) => {
      const inFlight = [...this.inFlight.keys()];
      this.inFlight.clear();
      this.state = this.state === 'draining' && code === 0 ? 'stopped' : 'dead';
      this.emit('exit', { code, signal, inFlight });
    });
  }

  private handle(message: HostMessage): void {
    if (message.type === 'done') {
      this.inFlight.delete(message.tileId);
      this.tiles++;
      this.lastExecUs = message.execUs;
      this.memoryBytes = message.memoryBytes;
      this.renewals = message.renewals;
      this.emit('done', message);
    } else if (message.type === 'fatal') {
      this.fatal = message.text;
      this.options.logger.error('host-fatal', message.text, { host: this.id, pid: this.pid });
    }
    this.emit('message', message);
  }

  /** The plugin's prints and the host's last words go to the log, labelled. */
  private captureOutput(child: ChildProcess): void {
    const { logger, id } = this.options;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = new OutputLines(
        (line) => {
          if (stream === 'stdout') logger.info('plugin-output', line, { host: id, stream });
          else logger.warn('plugin-output', line, { host: id, stream });
          if (stream === 'stderr' && !this.fatal && line.startsWith('{')) {
            this.fatal = parseHostError(line);
          }
        },
        (dropped) =>
          logger.warn('plugin-output-suppressed', `${dropped} lines of ${stream} not logged`, {
            host: id,
            stream,
          }),
      );
      child[stream]!.on('data', (chunk: Buffer) => lines.push(chunk));
      child[stream]!.on('end', () => lines.end());
    }
  }
}

function parseHostError(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { message?: string; hint?: string };
    return parsed.message ? parsed.message + (parsed.hint ? ` (${parsed.hint})` : '') : undefined;
  } catch {
    return undefined;
  }
}
