// Where EdgeCam finds its own build outputs and where it keeps run-time files.

import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether running from core/ (vitest) or dist/core/ (built). */
export const REPO_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  return path.basename(path.dirname(dir)) === 'dist'
    ? path.resolve(dir, '..', '..')
    : path.resolve(dir, '..');
}

export const BUILD_DIR = path.join(REPO_ROOT, 'build');
export const ADDON_PATH = path.join(BUILD_DIR, 'addon', 'Release', 'edgecam_native.node');
export const HOST_PATH = path.join(BUILD_DIR, 'host', 'edgecam-host');
export const PLUGIN_DIR = path.join(BUILD_DIR, 'algos');
export const CATALOG_PATH = path.join(REPO_ROOT, 'algos', 'catalog.json');

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/**
 * The control socket a daemon listens on and a shell attaches to when given
 * none: $EDGECAM_SOCKET, else $XDG_RUNTIME_DIR/edgecam/control.sock, else
 * /tmp/edgecam-UID/control.sock. Its folder is made private (0700).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGECAM_SOCKET) return env.EDGECAM_SOCKET;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'edgecam', 'control.sock');
  return path.join(os.tmpdir(), `edgecam-${uid()}`, 'control.sock');
}

/** Where a daemon writes tiles when not told: $XDG_DATA_HOME/edgecam/out, else ~/.local/share/edgecam/out. */
export function defaultOutDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'edgecam', 'out');
}

/** Compiled plugins, keyed by module hash and engine settings. */
export function defaultModuleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'edgecam', 'modules');
}
