// `edgecam`: the command line. Each subcommand loads only what it needs, so
// `edgecam --help` and `edgecam exec status` start fast.

import { parseArgs } from 'node:util';

import { EdgecamError } from '../core/errors.js';

const HELP = `edgecam: image tiles through io_uring and sandboxed WebAssembly plugins

usage:
  edgecam daemon [options]             run the pipeline (edgecam daemon --help)
  edgecam exec "COMMAND" [--json]      send one command to the daemon, print its answer
  edgecam status [--json]              the same as: edgecam exec status
  edgecam import PHOTO... [--tile 256] [--out DIR] [--gray]
                                       cut PNG/JPEG photographs into PPM tiles
  edgecam export DIR --to FILE.png [--stem NAME]
                                       put processed tiles back together as a PNG
  edgecam doctor                       check this machine's prerequisites
  edgecam --version

common options:
  --socket PATH    the daemon's control socket (default: $EDGECAM_SOCKET, else per user)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
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
    case 'daemon':
      return (await import('./run-daemon.js')).runDaemon(rest);
    case 'exec':
      return execCommand(rest);
    case 'status':
      return execCommand(['status', ...rest]);
    case 'import':
      return importCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'doctor':
      return (await import('./doctor.js')).runDoctor(rest);
    default:
      throw new EdgecamError(
        'UNKNOWN_COMMAND',
        `unknown command '${command}'`,
        'edgecam --help lists them',
      );
  }
}

async function execCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, socket: { type: 'string' } },
    allowPositionals: true,
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
  const { defaultSocketPath } = await import('../core/paths.js');
  const { ControlClient } = await import('./control-client.js');
  const client = await ControlClient.connect(values.socket ?? defaultSocketPath());
  try {
    const result = await client.request(words[0], words.slice(1));
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log((await import('./format.js')).formatResult(words[0], result));
    return 0;
  } finally {
    client.close();
  }
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
      `${photo}: ${result.width}x${result.height} -> ${result.tiles} tiles (${result.cols}x${result.rows}) in ${outDir}`,
    );
  }
  return 0;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { to: { type: 'string' }, stem: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || !values.to) {
    throw new EdgecamError(
      'USAGE',
      'Expected a folder and --to FILE.png for edgecam export',
      'edgecam export img_samples/out --to mosaic.png',
    );
  }
  const { exportMosaic } = await import('./mosaic-export.js');
  const result = await exportMosaic(positionals[0], values.to, { stem: values.stem });
  console.log(`${result.path}: ${result.width}x${result.height} from ${result.tiles} tiles`);
  if (result.missing.length)
    console.log(`missing tiles (drawn as a checkerboard): ${result.missing.join(', ')}`);
  return 0;
}

/** Prints an error for a person: what went wrong and what to do; no stack trace. */
export function reportError(error: unknown): number {
  if (error instanceof EdgecamError) {
    console.error(`edgecam: ${error.message}`);
    if (error.hint) console.error(`  ${error.hint}`);
    return error.code === 'USAGE' ? 2 : 1;
  }
  const e = error as NodeJS.ErrnoException;
  console.error(`edgecam: ${e?.message ?? String(error)}`);
  if (process.env.EDGECAM_DEBUG) console.error(e?.stack);
  return 1;
}
