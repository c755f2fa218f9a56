// `edgecam doctor`: checks each prerequisite of this machine and prints ok,
// or what is wrong and the exact command that fixes it.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ADDON_PATH, HOST_PATH, PLUGIN_DIR, REPO_ROOT } from '../core/paths.js';

export const WASMTIME_VERSION = '49.0.0';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** A warning does not fail the doctor: EdgeCam works, less well. */
  warning?: boolean;
}

const APT = 'apt-get install -y';

export function runChecks(): Check[] {
  return [
    checkNode(),
    checkIoUringSysctl(),
    checkIoUringProbe(),
    checkLiburing(),
    checkWasmtime(),
    checkWasmTarget(),
    checkPlugins(),
    checkMemlock(),
  ];
}

export async function runDoctor(argv: string[]): Promise<number> {
  const checks = runChecks();
  if (argv.includes('--json')) {
    console.log(JSON.stringify(checks, null, 2));
  } else {
    for (const c of checks) {
      const mark = c.ok ? 'ok  ' : c.warning ? 'warn' : 'FAIL';
      console.log(`${mark}  ${c.name.padEnd(22)} ${c.detail}`);
      if (!c.ok && c.fix) console.log(`      ${''.padEnd(22)} fix: ${c.fix}`);
    }
  }
  return checks.every((c) => c.ok || c.warning) ? 0 : 1;
}

function checkNode(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    name: 'Node.js',
    ok: major >= 20,
    detail: `v${process.versions.node}`,
    fix: 'install Node.js 20 or newer',
  };
}

function checkIoUringSysctl(): Check {
  const file = '/proc/sys/kernel/io_uring_disabled';
  let value = '0';
  try {
    value = fs.readFileSync(file, 'utf8').trim();
  } catch {
    // Kernels before 6.6 have no such switch: io_uring is on if compiled in.
  }
  const meaning: Record<string, string> = {
    '0': 'io_uring enabled for all (kernel.io_uring_disabled = 0)',
    '1': 'io_uring limited to group kernel.io_uring_group (kernel.io_uring_disabled = 1)',
    '2': 'io_uring disabled (kernel.io_uring_disabled = 2)',
  };
  return {
    name: 'kernel io_uring',
    ok: value === '0' || (value === '1' && process.getuid?.() === 0),
    detail: meaning[value] ?? `kernel.io_uring_disabled = ${value}`,
    fix: 'sudo sysctl -w kernel.io_uring_disabled=0',
  };
}

function checkIoUringProbe(): Check {
  const name = 'io_uring ring';
  if (!fs.existsSync(ADDON_PATH)) {
    return {
      name,
      ok: false,
      detail: `the addon is not built (${ADDON_PATH})`,
      fix: 'npm run setup',
    };
  }
  // The probe runs in a child so that a broken addon cannot take doctor down.
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const a=require(${JSON.stringify(ADDON_PATH)});console.log(JSON.stringify(a.probeUring()))`,
    ],
    { encoding: 'utf8' },
  );
  try {
    const result = JSON.parse(probe.stdout) as { ok: boolean; message: string; errno?: number };
    return {
      name,
      ok: result.ok,
      detail: result.message,
      fix:
        result.errno === 1
          ? 'io_uring is blocked (seccomp filter or sysctl); run outside that container profile, or allow io_uring_setup'
          : 'run EdgeCam on Linux 6.1 or newer with io_uring enabled',
    };
  } catch {
    return {
      name,
      ok: false,
      detail: `the probe failed: ${probe.stderr.trim().split('\n')[0]}`,
      fix: 'npm run setup',
    };
  }
}

function checkLiburing(): Check {
  try {
    const version = execFileSync('pkg-config', ['--modversion', 'liburing'], {
      encoding: 'utf8',
    }).trim();
    return { name: 'liburing', ok: true, detail: `liburing ${version}` };
  } catch {
    return {
      name: 'liburing',
      ok: false,
      detail: 'liburing-dev not found by pkg-config',
      fix: `${APT} liburing-dev pkg-config`,
    };
  }
}

function checkWasmtime(): Check {
  const name = 'Wasmtime C API';
  const lib = path.join(REPO_ROOT, '.cache', 'wasmtime', WASMTIME_VERSION, 'lib', 'libwasmtime.so');
  if (!fs.existsSync(lib)) {
    return { name, ok: false, detail: `${lib} is missing`, fix: 'bash scripts/fetch-wasmtime.sh' };
  }
  if (!fs.existsSync(HOST_PATH)) {
    return {
      name,
      ok: false,
      detail: `the algorithm host is not built (${HOST_PATH})`,
      fix: 'bash native/host/build.sh',
    };
  }
  const run = spawnSync(HOST_PATH, ['--version'], { encoding: 'utf8' });
  const text = (run.stdout + run.stderr).trim();
  const ok = run.status === 0 && text.includes(`wasmtime ${WASMTIME_VERSION}`);
  return {
    name,
    ok,
    detail: ok
      ? `${text} (library and headers checked)`
      : `host says: ${text || `exit ${run.status}`}`,
    fix: 'rm -rf .cache/wasmtime build/host && npm run setup',
  };
}

function checkWasmTarget(): Check {
  const name = 'clang wasm32-wasi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-doctor-'));
  try {
    const source = path.join(dir, 'probe.c');
    fs.writeFileSync(source, '#include <stdlib.h>\nint probe(int n) { return abs(n); }\n');
    const run = spawnSync(
      'clang-14',
      [
        '--target=wasm32-wasi',
        '--sysroot=/usr',
        '-O2',
        '-mexec-model=reactor',
        '-o',
        path.join(dir, 'probe.wasm'),
        source,
      ],
      { encoding: 'utf8' },
    );
    if (run.error) {
      return {
        name,
        ok: false,
        detail: 'clang-14 not found',
        fix: `${APT} clang lld wasi-libc libclang-rt-14-dev-wasm32`,
      };
    }
    return {
      name,
      ok: run.status === 0,
      detail:
        run.status === 0
          ? 'clang-14 builds a WASI reactor with wasi-libc'
          : run.stderr.trim().split('\n')[0],
      fix: `${APT} clang lld wasi-libc libclang-rt-14-dev-wasm32`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function checkPlugins(): Check {
  const grayscale = path.join(PLUGIN_DIR, 'grayscale.wasm');
  return {
    name: 'plugins',
    ok: fs.existsSync(grayscale),
    detail: fs.existsSync(grayscale) ? `built in ${PLUGIN_DIR}` : `${grayscale} is missing`,
    fix: 'bash algos/build',
  };
}

function checkMemlock(): Check {
  const name = 'locked-memory limit';
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max locked memory'));
  const soft = line?.split(/\s{2,}/)[1] ?? 'unknown';
  const needed = 64 * 262144;
  const root = process.getuid?.() === 0;
  const ok = root || soft === 'unlimited' || Number(soft) >= needed;
  return {
    name,
    ok,
    warning: !ok,
    detail: ok
      ? `${soft === 'unlimited' ? 'unlimited' : `${soft} bytes`}${root ? ' (root: not limited)' : ''}; registered buffers fit`
      : `${soft} bytes < ${needed} for registered buffers; the ring runs without them`,
    fix: 'ulimit -l unlimited (or raise memlock in /etc/security/limits.conf)',
  };
}
