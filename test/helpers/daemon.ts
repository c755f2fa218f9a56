// Starts a real daemon process (the built CLI) on temporary folders and a
// temporary socket, and talks to it over that socket like any client.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ControlClient } from '../../shell/control-client.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'edgecam.js');

export interface TestDaemon {
  dir: string;
  inDir: string;
  outDir: string;
  quarantineDir: string;
  socket: string;
  process: ChildProcess;
  client: ControlClient;
  log(): string;
  request<T = any>(cmd: string, ...args: string[]): Promise<T>;
  /** Polls status until `inFlight` is 0; returns that status. */
  drained(timeoutMs?: number): Promise<any>;
  /** Sends `stop` and resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts a daemon; given `dir` (of an earlier daemon), it works on the same folders. */
export async function startDaemon(extra: string[] = [], reuse?: string): Promise<TestDaemon> {
  const dir = reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-test-'));
  const inDir = path.join(dir, 'in');
  const outDir = path.join(dir, 'out');
  const quarantineDir = path.join(dir, 'quarantine');
  fs.mkdirSync(inDir, { recursive: true });
  const socket = path.join(dir, 'run', 'control.sock');
  const logFile = path.join(dir, `daemon-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const log = fs.openSync(logFile, 'w');
  const args = [CLI, 'daemon', '--socket', socket, '--out', outDir, '--quarantine', quarantineDir];
  args.push(
    '--cache-dir',
    path.join(os.tmpdir(), 'edgecam-test-modules'),
    '--hosts',
    '2',
    ...extra,
  );
  const child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  let client: ControlClient | undefined;
  for (let i = 0; i < 300 && !client; i++) {
    if (child.exitCode !== null) break;
    try {
      client = await ControlClient.connect(socket);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!client) {
    child.kill('SIGKILL');
    throw new Error(`daemon did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
  }

  const daemon: TestDaemon = {
    dir,
    inDir,
    outDir,
    quarantineDir,
    socket,
    process: child,
    client,
    exited,
    log: () => fs.readFileSync(logFile, 'utf8'),
    request: (cmd, ...rest) => client!.request(cmd, rest) as Promise<any>,
    async drained(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const status: any = await client!.request('status');
        if (status.tiles.inFlight === 0) return status;
        if (Date.now() > until) throw new Error(`not drained: ${JSON.stringify(status.tiles)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        await client!.request('stop').catch(() => undefined);
      }
      const code = await Promise.race([
        exited,
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      if (child.exitCode === null) child.kill('SIGKILL');
      return code;
    },
  };
  return daemon;
}

export function cleanup(daemon: TestDaemon | undefined): void {
  if (!daemon) return;
  if (daemon.process.exitCode === null) daemon.process.kill('SIGKILL');
  daemon.client.close();
  fs.rmSync(daemon.dir, { recursive: true, force: true });
}
