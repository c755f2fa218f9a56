// A real EdgeCam daemon started for the benchmark as a user would start it (`edgecam daemon` with
// its hosts), on the benchmark's folders and a private socket, and driven over that socket.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ControlClient } from '../shell/control-client.js';
import { processTree } from './process-tree.js';

export interface DaemonSessionOptions {
  /** Folder for the socket, the log and the module cache. */
  workDir: string;
  outDir: string;
  slotSize: number;
  io: 'uring' | 'sync';
  /** Extra daemon arguments. */
  extra?: string[];
  /** Flags for node itself, e.g. --perf-basic-prof. */
  nodeFlags?: string[];
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'edgecam.js');

let sessions = 0;

export class DaemonSession {
  private constructor(
    readonly child: ChildProcess,
    readonly client: ControlClient,
    readonly socket: string,
    private readonly logFile: string,
    private readonly exited: Promise<number | null>,
  ) {}

  static async start(o: DaemonSessionOptions): Promise<DaemonSession> {
    const n = ++sessions;
    const socket = path.join(o.workDir, `daemon-${n}.sock`);
    const logFile = path.join(o.workDir, `daemon-${n}.log`);
    fs.mkdirSync(o.workDir, { recursive: true });
    const log = fs.openSync(logFile, 'w');
    const args = [
      ...(o.nodeFlags ?? []),
      CLI,
      'daemon',
      '--socket',
      socket,
      '--out',
      o.outDir,
      '--quarantine',
      path.join(o.workDir, 'quarantine'),
      '--plugin',
      'grayscale',
      '--slot-size',
      String(o.slotSize),
      '--io',
      o.io,
      '--cache-dir',
      path.join(o.workDir, 'module-cache'),
      '--log-level',
      'warn',
      ...(o.extra ?? []),
    ];
    // In workDir, so anything the daemon or node leaves in its folder (V8 logs of
    // --perf-basic-prof) goes away with the benchmark's scratch folder.
    const child = spawn(process.execPath, args, { cwd: o.workDir, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    let client: ControlClient | undefined;
    for (let i = 0; i < 400 && !client && child.exitCode === null; i++) {
      try {
        client = await ControlClient.connect(socket);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    if (!client) {
      child.kill('SIGKILL');
      throw new Error(
        `the daemon did not start (log ${logFile}):\n${fs.readFileSync(logFile, 'utf8')}\n` +
          'fix: npm run setup, then try `node bin/edgecam.js daemon` by hand',
      );
    }
    return new DaemonSession(child, client, socket, logFile, exited);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The daemon and its algorithm hosts (every descendant). */
  pids(): number[] {
    return processTree(this.pid);
  }

  request<T = any>(cmd: string, ...args: string[]): Promise<T> {
    return this.client.request(cmd, args) as Promise<T>;
  }

  log(): string {
    return fs.readFileSync(this.logFile, 'utf8');
  }

  /** Sends `stop` and waits for the exit; kills the daemon if it takes over 20 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    try {
      await this.request('stop');
    } catch {
      // It may close the connection before answering.
    }
    this.client.close();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}
