// Runs one pass of a method that is its own program (the C reference, the Node baselines): starts
// it with --wait, attaches strace when asked, says go, and takes the one JSON line of figures it
// prints at the end.

import { spawn } from 'node:child_process';
import readline from 'node:readline';

import { StraceSession, type SyscallCounts } from './strace-count.js';

/** The figures every method's program prints, all over its timed part only. */
export interface PassFigures {
  tiles: number;
  bytes: number;
  seconds: number;
  cpuUserS: number;
  cpuSystemS: number;
  maxRssKiB: number;
  latencyMs: { p50: number; p95: number };
  /** io_uring_enter calls, as the C reference counts them. */
  enters?: number;
}

export interface ChildPass {
  figures: PassFigures;
  syscalls?: SyscallCounts;
}

/**
 * Runs command with args (which must include --wait). With straceFile, the pass is traced and
 * its system calls counted. Rejects with the program's error output when it fails.
 */
export async function runChildPass(
  command: string,
  args: string[],
  straceFile?: string,
): Promise<ChildPass> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = readline.createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();

  const nextLine = async (what: string): Promise<Record<string, unknown>> => {
    const { value, done } = await iterator.next();
    if (done) {
      const code = await exited;
      throw new Error(`${command} exited (${code}) before ${what}: ${stderr.trim()}`);
    }
    return JSON.parse(value) as Record<string, unknown>;
  };

  try {
    const ready = await nextLine('it was ready');
    const trace = straceFile
      ? await StraceSession.attach([Number(ready.pid)], straceFile)
      : undefined;
    child.stdin.write('go\n');
    const figures = (await nextLine('it reported')) as unknown as PassFigures;
    const syscalls = await trace?.finish();
    const code = await exited;
    if (code !== 0) throw new Error(`${command} exited with ${code}: ${stderr.trim()}`);
    return { figures, syscalls };
  } finally {
    lines.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
