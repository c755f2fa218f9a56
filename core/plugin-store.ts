// Finds plugins, checks their arguments against algos/catalog.json, and keeps
// compiled modules in a cache keyed by the module's hash and the engine's
// settings, so a host (re)start deserializes in microseconds instead of
// compiling for milliseconds.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { PluginError, UsageError } from './errors.js';
import { CATALOG_PATH, PLUGIN_DIR } from './paths.js';

const run = promisify(execFile);

export interface CatalogArg {
  name: string;
  /** The plugin refuses fractions (EDGECAM_ERR_PARAMS), so `load` does too. */
  integer?: boolean;
  default: number;
  min: number;
  max: number;
  help?: string;
}

export interface CatalogEntry {
  name: string;
  file: string;
  summary: string;
  args: CatalogArg[];
  hostile?: boolean;
}

export interface PreparedPlugin {
  name: string;
  path: string;
  sha256: string;
  args: number[];
  modulePath: string;
  fromCache: boolean;
  compileMs: number;
}

export function readCatalog(file = CATALOG_PATH): CatalogEntry[] {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogEntry[];
  } catch {
    return [];
  }
}

export class PluginStore {
  private engineKeyValue?: Promise<string>;

  constructor(
    private readonly hostPath: string,
    private readonly cacheDir: string,
    private readonly pluginDir = PLUGIN_DIR,
    private readonly catalog: CatalogEntry[] = readCatalog(),
  ) {}

  /** Plugins in the catalog, for `load` with no argument and for completion. */
  list(): CatalogEntry[] {
    return this.catalog;
  }

  /** A catalog name (`box-blur`, `hostile/trap`) or a path to a .wasm file. */
  resolve(nameOrPath: string): { name: string; path: string; entry?: CatalogEntry } {
    const entry = this.catalog.find((e) => e.name === nameOrPath);
    if (entry) return { name: entry.name, path: path.join(this.pluginDir, entry.file), entry };

    const isPath = /^(\/|\.\.?\/)/.test(nameOrPath) || fs.existsSync(nameOrPath);
    if (isPath && !nameOrPath.endsWith('.wasm')) {
      throw new PluginError(
        'NOT_WASM',
        `${nameOrPath} is not a .wasm file`,
        'compile the plugin to WebAssembly first (see docs/plugins.md), then load the .wasm',
      );
    }
    const candidates =
      isPath || nameOrPath.endsWith('.wasm')
        ? [path.resolve(nameOrPath)]
        : [path.join(this.pluginDir, `${nameOrPath}.wasm`)];
    for (const candidate of candidates) {
      if (fs.existsSync(candidate)) {
        return { name: path.basename(candidate, '.wasm'), path: candidate };
      }
    }
    const known = this.catalog.map((e) => e.name).join(', ');
    throw new PluginError(
      'PLUGIN_NOT_FOUND',
      `No plugin '${nameOrPath}': not in the catalog and no file ${candidates[0]}`,
      known ? `known plugins: ${known}; or give a path to a .wasm file` : 'run npm run setup',
    );
  }

  /** Checks arguments against the catalog and fills in defaults. */
  checkArgs(name: string, args: number[], entry?: CatalogEntry): number[] {
    if (args.length > 8) throw new UsageError('plugin arguments', 'at most 8 numbers', args);
    if (!entry) return args;
    const usage = ['load', name, ...entry.args.map((a) => `[${a.name}]`)].join(' ');
    if (entry.args.length === 0 && args.length > 0) {
      throw new UsageError(`${name}'s arguments`, 'none (it takes no arguments)', args, usage);
    }
    if (args.length > entry.args.length) {
      throw new UsageError(`${name}'s arguments`, `at most ${entry.args.length}`, args, usage);
    }
    return entry.args.map((spec, i) => {
      const value = args[i] ?? spec.default;
      const kind = spec.integer ? 'a whole number' : 'a number';
      const bad = !Number.isFinite(value) || value < spec.min || value > spec.max;
      if (bad || (spec.integer && !Number.isInteger(value))) {
        throw new UsageError(
          `${name} ${spec.name}`,
          `${kind} in ${spec.min}..${spec.max}`,
          value,
          usage,
        );
      }
      return value;
    });
  }

  /** Compiles (or finds in the cache) the plugin, ready for hosts to load. */
  async prepare(nameOrPath: string, args: number[] = []): Promise<PreparedPlugin> {
    const { name, path: file, entry } = this.resolve(nameOrPath);
    const checkedArgs = this.checkArgs(name, args, entry);
    const bytes = await fs.promises.readFile(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const engineKey = await this.engineKey();
    const settings = createHash('sha256').update(engineKey).digest('hex').slice(0, 16);
    const modulePath = path.join(this.cacheDir, `${sha256.slice(0, 32)}-${settings}.cwasm`);

    if (await this.trusted(modulePath)) {
      return {
        name,
        path: file,
        sha256,
        args: checkedArgs,
        modulePath,
        fromCache: true,
        compileMs: 0,
      };
    }

    const started = performance.now();
    await this.compile(file, modulePath);
    await this.seal(modulePath);
    const compileMs = Math.round(performance.now() - started);
    return { name, path: file, sha256, args: checkedArgs, modulePath, fromCache: false, compileMs };
  }

  engineKey(): Promise<string> {
    this.engineKeyValue ??= run(this.hostPath, ['--engine-key']).then((r) => r.stdout.trim());
    return this.engineKeyValue;
  }

  private async compile(file: string, modulePath: string): Promise<void> {
    await fs.promises.mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    try {
      await run(this.hostPath, ['--compile', file, '--out', modulePath]);
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '');
      const reason = parseCompileError(stderr);
      throw new PluginError(
        reason?.code ?? 'PLUGIN_REFUSED',
        `Plugin ${file} was refused: ${reason?.message ?? (stderr.trim() || String(error))}`,
        reason?.hint ?? 'rebuild it with algos/build; see docs/plugins.md for the ABI',
      );
    }
  }

  /**
   * Rule: hosts load only compiled modules this daemon wrote itself.
   * Reason: Wasmtime deserializes a corrupted file without an error and then
   * runs it as native code (FIELD-NOTES). A sidecar holds the hash of what we
   * wrote; a file that does not match is compiled again.
   */
  private async seal(modulePath: string): Promise<void> {
    const hash = createHash('sha256')
      .update(await fs.promises.readFile(modulePath))
      .digest('hex');
    await fs.promises.writeFile(`${modulePath}.sha256`, hash + '\n', { mode: 0o600 });
  }

  private async trusted(modulePath: string): Promise<boolean> {
    try {
      const [bytes, seal] = await Promise.all([
        fs.promises.readFile(modulePath),
        fs.promises.readFile(`${modulePath}.sha256`, 'utf8'),
      ]);
      return createHash('sha256').update(bytes).digest('hex') === seal.trim();
    } catch {
      return false;
    }
  }
}

function parseCompileError(
  stderr: string,
): { code: string; message: string; hint?: string } | undefined {
  for (const line of stderr.split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line);
      if (parsed && typeof parsed.message === 'string') return parsed;
    } catch {
      continue;
    }
  }
  return undefined;
}
