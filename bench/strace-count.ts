// Counts the system calls of running processes with `strace -c -f`, attached for one pass only,
// so the timed passes run untraced. Every thread is followed, and so is every thread or child
// started while attached (io_uring's kernel workers are not processes and make no system calls).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface SyscallCounts {
  total: number;
  /** Calls per system call name, most frequent first. */
  calls: Record<string, number>;
}

export class StraceSession {
  private constructor(
    private readonly child: ChildProcess,
    private readonly outFile: string,
    private readonly exited: Promise<void>,
    private readonly stderr: () => string,
  ) {}

  /**
   * Attaches strace to every thread of each pid and resolves once all are attached. Rejects
   * with strace's own words when it cannot attach (no permission to ptrace, say).
   */
  static async attach(pids: number[], outFile: string, timeoutMs = 10_000) {
    const args = ['-c', '-f', '-o', outFile, ...pids.flatMap((pid) => ['-p', String(pid)])];
    const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const attached = new Set<number>();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`strace did not attach in ${timeoutMs} ms: ${stderr.trim()}`)),
        timeoutMs,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`strace could not start: ${error.message} (apt-get install -y strace)`));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`strace exited before attaching: ${stderr.trim()}`));
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        for (const match of chunk.matchAll(/Process (\d+) attached/g))
          attached.add(Number(match[1]));
        if (pids.every((pid) => attached.has(pid))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await done;
    return new StraceSession(child, outFile, exited, () => stderr);
  }

  /** Detaches (SIGINT) and returns the counts strace wrote. */
  async finish(): Promise<SyscallCounts> {
    this.child.kill('SIGINT');
    await this.exited;
    if (!fs.existsSync(this.outFile)) {
      throw new Error(`strace wrote no summary: ${this.stderr().trim()}`);
    }
    return parseStraceSummary(fs.readFileSync(this.outFile, 'utf8'));
  }
}

/** Parses the table of `strace -c`: % time, seconds, usecs/call, calls, [errors], syscall. */
export function parseStraceSummary(text: string): SyscallCounts {
  const calls: Record<string, number> = {};
  let total = 0;
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 5 || !/^\d+\.\d+$/.test(tokens[0])) continue;
    const name = tokens[tokens.length - 1];
    if (name === 'total') continue;
    const count = Number(tokens[3]);
    if (!Number.isFinite(count)) continue;
    calls[name] = (calls[name] ?? 0) + count;
    total += count;
  }
  const sorted = Object.entries(calls).sort((a, b) => b[1] - a[1]);
  return { total, calls: Object.fromEntries(sorted) };
}
