// `edgecam`: the command line. Each subcommand loads only what it needs, so
// `edgecam --help` and `edgecam exec status` start fast.

import { parseArgs, type ParseArgsConfig } from 'node:util';

import { EdgecamError, UsageError } from '../core/errors.js';
import type { Session } from './session.js';

const HELP = `edgecam: image tiles through io_uring and sandboxed WebAssembly plugins

usage:
  edgecam                              the operator's shell, attached to the local daemon
                                       (starts one in the background if none runs)
  edgecam attach unix:PATH | tcp://HOST:PORT [--token-file FILE]
                                       the shell, attached to another daemon
  edgecam exec "COMMAND" [--json]      run one shell command, print its answer, exit with its status
  edgecam run RECIPE.edge [--speed X] [--step] [--var NAME=VALUE]... [--json]
                                       play a recipe; exits non-zero at the first failed line
  edgecam status [--json]              the same as: edgecam exec status
  edgecam daemon [options]             run the pipeline (edgecam daemon --help)
  edgecam import PHOTO... [--tile 256] [--out DIR] [--gray]
                                       cut PNG/JPEG photographs into PPM tiles
  edgecam export DIR --to FILE.png [--stem NAME]
                                       put processed tiles back together as a PNG
  edgecam doctor                       check this machine's prerequisites
  edgecam --version

common options:
  --socket PATH       the daemon's control socket (default: $EDGECAM_SOCKET, else per user)
  --attach ADDRESS    unix:PATH or tcp://HOST:PORT, for exec, run and status
  --token-file FILE   the token of a TCP daemon (or set EDGECAM_TOKEN; never on the command line)
  --yes               never ask for confirmation (kill-algo all)

In the shell, \`help\` lists its commands; docs/shell.md and docs/recipes.md say more.`;

/** Options shared by every subcommand that attaches to a daemon. */
const ATTACH_OPTIONS = {
  socket: { type: 'string' },
  attach: { type: 'string' },
  'token-file': { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function main(argv: string[]): Promise<number> {
  refuseTokenInArgv(argv);
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return shellCommand([]);
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return 0;
    case '--version':
    case 'version': {
      const { VERSION } = await import('../core/daemon.js');
      console.log(`edgecam ${VERSION}`);
      return 0;
    }
    case 'attach':
      return shellCommand(rest, true);
    case 'daemon':
      return (await import('./run-daemon.js')).runDaemon(rest);
    case 'exec':
      return execCommand(rest);
    case 'status':
      return execCommand(['status', ...rest]);
    case 'run':
      return runCommand(rest);
    case 'import':
      return importCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'doctor':
      return (await import('./doctor.js')).runDoctor(rest);
    default:
      if (command.startsWith('--')) return shellCommand(argv);
      throw new EdgecamError(
        'UNKNOWN_COMMAND',
        `unknown command '${command}'`,
        'edgecam --help lists them',
      );
  }
}

/** parseArgs, with an unknown or malformed option told the usual way (exit status 2). */
function parseOptions<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs({ ...config, allowPositionals: true });
  } catch (error) {
    throw new UsageError(
      command,
      'the options of `edgecam --help`',
      (error as Error).message.split('.')[0],
      'edgecam --help',
    );
  }
}

/** A token on the command line is visible to every user through `ps`; refuse it outright. */
function refuseTokenInArgv(argv: string[]): void {
  const given = argv.find((word) => word === '--token' || word.startsWith('--token='));
  if (given) {
    throw new EdgecamError(
      'USAGE',
      'Expected --token-file FILE or EDGECAM_TOKEN for the token ' +
        'but received --token on the command line',
      'tokens on the command line show in `ps`; ' +
        'put it in a file (chmod 600) and pass --token-file FILE',
    );
  }
}

/** `edgecam` and `edgecam attach ADDRESS`: the interactive shell. */
async function shellCommand(argv: string[], withAddress = false): Promise<number> {
  const { values, positionals } = parseOptions('edgecam', { args: argv, options: ATTACH_OPTIONS });
  if (withAddress && positionals.length !== 1) {
    throw new EdgecamError(
      'USAGE',
      `Expected one address for edgecam attach but received ${positionals.length}`,
      'edgecam attach unix:/path/to/control.sock, ' +
        'or edgecam attach tcp://127.0.0.1:7070 --token-file FILE',
    );
  }
  const { Session } = await import('./session.js');
  const { defaultHistoryFile } = await import('./history.js');
  const { describeAttachment } = await import('./command-runner.js');
  const session = new Session();
  const banner: string[] = [];

  const address = positionals[0] ?? values.attach;
  if (address) {
    await attachTo(session, address, values['token-file']);
  } else {
    const { defaultSocketPath } = await import('../core/paths.js');
    const socket = values.socket ?? defaultSocketPath();
    const { NoDaemonError } = await import('./shell-errors.js');
    try {
      await session.attach({ kind: 'unix', path: socket });
    } catch (error) {
      if (!(error instanceof NoDaemonError)) throw error;
      const { startBackgroundDaemon } = await import('./daemon-autostart.js');
      const started = await startBackgroundDaemon(session, socket);
      banner.push(
        `no daemon was running on ${socket}, so one was started in the background`,
        `  pid ${started.pid}, tiles written to ${started.outDir}, log ${started.log}; ` +
          '`stop` ends it',
      );
    }
  }
  banner.push(await describeAttachment({ session, signal: new AbortController().signal }));
  banner.push(
    'help lists the commands; Tab completes; Ctrl-C cancels a command; quit or Ctrl-D leaves',
  );

  const { runRepl } = await import('./repl.js');
  return runRepl({
    session,
    historyFile: defaultHistoryFile(),
    assumeYes: Boolean(values.yes),
    banner,
  });
}

async function attachTo(
  session: Session,
  text: string,
  tokenFile: string | undefined,
): Promise<void> {
  const { parseAddress, readToken } = await import('./daemon-address.js');
  const address = parseAddress(text);
  await session.attach(address, address.kind === 'tcp' ? readToken(tokenFile) : undefined);
}

/** Attaches for exec, run and status: --attach ADDRESS, else --socket PATH, else the default. */
async function attachForCommand(values: {
  socket?: string;
  attach?: string;
  'token-file'?: string;
}): Promise<Session> {
  const { Session } = await import('./session.js');
  const session = new Session();
  if (values.attach) {
    await attachTo(session, values.attach, values['token-file']);
  } else {
    const { defaultSocketPath } = await import('../core/paths.js');
    await session.attach({ kind: 'unix', path: values.socket ?? defaultSocketPath() });
  }
  return session;
}

/** Ctrl-C on exec or run: cancel the command, exit 130 like any interrupted program. */
function cancelOnSigint(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = async () => {
    const { CancelledError } = await import('./shell-errors.js');
    controller.abort(new CancelledError('the command'));
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

/** Words that run without a daemon, so `edgecam exec help` works with none running. */
const OFFLINE_WORDS = new Set(['help', 'echo', 'sleep', '?']);

async function execCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('edgecam exec', {
    args: argv,
    options: ATTACH_OPTIONS,
  });
  const { splitWords } = await import('../core/commands.js');
  const words = positionals.length === 1 ? splitWords(positionals[0]) : positionals;
  if (words.length === 0) {
    throw new EdgecamError(
      'USAGE',
      'Expected a command for edgecam exec but received nothing',
      'edgecam exec "status"',
    );
  }
  const { Session } = await import('./session.js');
  const session = OFFLINE_WORDS.has(words[0]) ? new Session() : await attachForCommand(values);
  const { runWords } = await import('./command-runner.js');
  const cancel = cancelOnSigint();
  try {
    const outcome = await runWords(
      words,
      commandContext(session, cancel.signal, Boolean(values.yes), Boolean(values.json)),
    );
    if (values.json) console.log(JSON.stringify(outcome.result ?? null, null, 2));
    else if (outcome.text) console.log(outcome.text);
    return 0;
  } finally {
    cancel.dispose();
    session.detach();
  }
}

async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('edgecam run', {
    args: argv,
    options: {
      ...ATTACH_OPTIONS,
      speed: { type: 'string' },
      step: { type: 'boolean' },
      var: { type: 'string', multiple: true },
    },
    allowPositionals: true,
  });
  const { parseReplayOptions, runRecipe } = await import('./recipe-runner.js');
  const replayArgs = [...positionals, ...(values.var ?? []).flatMap((v) => ['--var', v])];
  if (values.speed !== undefined) replayArgs.push('--speed', values.speed);
  if (values.step) replayArgs.push('--step');
  const options = parseReplayOptions(replayArgs, 'edgecam run');
  const json = Boolean(values.json);
  if (json) options.onStep = (record) => console.log(JSON.stringify(record));

  const path = await import('node:path');
  const file = path.resolve(options.file);
  const session = await attachForCommand(values);
  const cancel = cancelOnSigint();
  const ctx = commandContext(session, cancel.signal, Boolean(values.yes), json);
  if (options.step) ctx.readAnswer = await stdinQuestioner();
  const { RecipeError } = await import('./shell-errors.js');
  try {
    const report = await runRecipe(file, options, { ...ctx, speed: options.speed });
    if (json) console.log(JSON.stringify(report));
    else
      console.log(
        `\n${report.file}: ${report.steps} steps passed in ${(report.ms / 1000).toFixed(1)} s`,
      );
    return 0;
  } catch (error) {
    if (!(error instanceof RecipeError)) throw error;
    if (json)
      console.log(
        JSON.stringify({
          file: error.file,
          passed: false,
          line: error.line,
          error: error.failure.toJSON(),
        }),
      );
    else {
      console.error(`\nFAILED ${error.file}:${error.line}: ${error.command}`);
      console.error(`  ${error.failure.message}`);
      if (error.failure.hint) console.error(`  ${error.failure.hint}`);
    }
    return 1;
  } finally {
    cancel.dispose();
    session.detach();
  }
}

function commandContext(session: Session, signal: AbortSignal, assumeYes: boolean, json: boolean) {
  return {
    session,
    signal,
    interactive: false,
    assumeYes,
    baseDir: process.cwd(),
    speed: 1,
    say: json ? () => undefined : (text: string) => console.log(text),
    recipeStack: [] as string[],
    readAnswer: undefined as
      ((question: string, signal: AbortSignal) => Promise<string>) | undefined,
  };
}

/**
 * --step outside the shell: each question on stdout, each answer a line of
 * stdin. Lines are queued as they arrive, since piped answers come before the
 * questions; the end of stdin answers `q` (stop).
 */
async function stdinQuestioner(): Promise<
  (question: string, signal: AbortSignal) => Promise<string>
> {
  const readline = await import('node:readline');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const answers: string[] = [];
  let waiting: ((answer: string) => void) | undefined;
  let ended = false;
  rl.on('line', (line) => (waiting ? waiting(line) : answers.push(line)));
  rl.on('close', () => {
    ended = true;
    waiting?.('q');
  });
  process.once('beforeExit', () => rl.close());
  // A terminal echoes the Enter that ends an answer; piped answers need the newline written.
  const answered = (answer: string) => {
    if (!process.stdin.isTTY) process.stdout.write('\n');
    return answer;
  };
  return (question, signal) => {
    process.stdout.write(question);
    if (answers.length) return Promise.resolve(answered(answers.shift()!));
    if (ended) return Promise.resolve(answered('q'));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      waiting = (answer) => {
        waiting = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve(answered(answer));
      };
    });
  };
}

async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { tile: { type: 'string' }, out: { type: 'string' }, gray: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    throw new EdgecamError(
      'USAGE',
      'Expected one or more photographs for edgecam import but received none',
      'edgecam import PHOTO.jpg --tile 256',
    );
  }
  const tile = Number(values.tile ?? 256);
  if (!Number.isInteger(tile) || tile < 8 || tile > 4096) {
    throw new EdgecamError(
      'USAGE',
      `Expected an integer in 8..4096 for --tile but received '${values.tile}'`,
    );
  }
  const { importPhoto } = await import('./tile-import.js');
  const outDir = values.out ?? 'img_samples/in';
  for (const photo of positionals) {
    const result = await importPhoto(photo, outDir, { tile, gray: values.gray });
    console.log(
      `${photo}: ${result.width}x${result.height} -> ${result.tiles} tiles ` +
        `(${result.cols}x${result.rows}) in ${outDir}`,
    );
  }
  return 0;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      to: { type: 'string' },
      stem: { type: 'string' },
      manifest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  const usage =
    'edgecam export OUT_DIR --to FILE.png [--manifest IN_DIR/STEM.tiles.json | --stem STEM]';
  if (values.help) {
    console.log(`usage: ${usage}
  Puts processed tiles back together as a PNG. The manifest (STEM.tiles.json) was written
  by \`edgecam import\` beside the tiles it cut; give it with --manifest when the processed
  tiles are in another folder (they usually are).`);
    return 0;
  }
  if (positionals.length !== 1 || !values.to) {
    throw new EdgecamError(
      'USAGE',
      'Expected a folder and --to FILE.png for edgecam export',
      usage,
    );
  }
  const { exportMosaic } = await import('./mosaic-export.js');
  const result = await exportMosaic(positionals[0], values.to, {
    stem: values.stem,
    manifest: values.manifest,
  });
  console.log(`${result.path}: ${result.width}x${result.height} from ${result.tiles} tiles`);
  if (result.missing.length) {
    console.log(`missing tiles (drawn as a checkerboard): ${result.missing.join(', ')}`);
  }
  return 0;
}

/** Prints an error for a person: what went wrong and what to do; no stack trace. */
export function reportError(error: unknown): number {
  if (error instanceof EdgecamError) {
    console.error(`edgecam: ${error.message}`);
    if (error.hint) console.error(`  ${error.hint}`);
    if (error.code === 'USAGE') return 2;
    return error.code === 'CANCELLED' ? 130 : 1;
  }
  const e = error as NodeJS.ErrnoException;
  console.error(`edgecam: ${e?.message ?? String(error)}`);
  if (process.env.EDGECAM_DEBUG) console.error(e?.stack);
  return 1;
}
