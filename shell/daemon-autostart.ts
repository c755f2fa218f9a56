// `edgecam` with no arguments and no daemon running: start one in the
// background on the default socket, logging beside the socket, and wait
// until it answers. The daemon outlives the shell; `stop` ends it.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { SetupError } from '../core/errors.js';
import { defaultOutDir, REPO_ROOT } from '../core/paths.js';
import { sleep } from './durations.js';
import type { Session } from './session.js';

/** A first start compiles the plugin and warms its hosts; allow it that long. */
const START_TIMEOUT_MS = 20_000;

export interface StartedDaemon {
  pid: number;
  log: string;
  outDir: string;
}

/** Starts `edgecam daemon` detached on `socket` and attaches `session` to it. */
export async function startBackgroundDaemon(
  session: Session,
  socket: string,
): Promise<StartedDaemon> {
  const socketDir = path.dirname(socket);
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const log = path.join(socketDir, 'daemon.log');
  // The daemon's own per-user default, whatever folder the shell was started in.
  const outDir = defaultOutDir();
  const logFd = fs.openSync(log, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'edgecam.js'), 'daemon', '--socket', socket, '--out', outDir],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  child.unref();

  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await session.attach({ kind: 'unix', path: socket });
      return { pid: child.pid!, log, outDir };
    } catch {
      if (exited !== null) {
        throw new SetupError(
          `the daemon started for this shell exited (code ${exited}): ${lastLine(log)}`,
          `read ${log}, or run \`edgecam doctor\``,
        );
      }
      if (Date.now() > until) {
        throw new SetupError(
          `the daemon started for this shell (pid ${child.pid}) did not answer ` +
            `within ${START_TIMEOUT_MS / 1000} s`,
          `read ${log}`,
        );
      }
      await sleep(100);
    }
  }
}

function lastLine(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '(no log)';
  }
}
