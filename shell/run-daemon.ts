// `edgecam daemon`: runs the pipeline in the foreground until `stop`,
// SIGTERM or SIGINT, each of which drains the tiles in flight first.

import { Daemon } from '../core/daemon.js';
import { DAEMON_USAGE, parseDaemonOptions } from '../core/daemon-options.js';

export async function runDaemon(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DAEMON_USAGE);
    return 0;
  }
  const daemon = new Daemon(parseDaemonOptions(argv));
  await daemon.start();

  return new Promise<number>((resolve) => {
    daemon.onExit(() => {
      resolve(0);
      // Everything is drained and closed; a client's idle keep-alive must not hold the exit.
      setTimeout(() => process.exit(0), 100).unref();
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void daemon.stop(signal));
    }
  });
}
