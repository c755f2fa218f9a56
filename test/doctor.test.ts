// `edgecam doctor` on this machine, and the advice it gives when something
// is missing.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { CLI } from './helpers/daemon.js';

function doctor(env: NodeJS.ProcessEnv = process.env) {
  const run = spawnSync(process.execPath, [CLI, 'doctor', '--json'], { encoding: 'utf8', env });
  return {
    status: run.status,
    checks: JSON.parse(run.stdout) as Array<{
      name: string;
      ok: boolean;
      detail: string;
      fix?: string;
    }>,
  };
}

describe('doctor', () => {
  it('checks every prerequisite and passes on a set-up machine', () => {
    const { status, checks } = doctor();
    expect(checks.map((c) => c.name)).toEqual([
      'Node.js',
      'kernel io_uring',
      'io_uring ring',
      'liburing',
      'Wasmtime C API',
      'clang wasm32-wasi',
      'plugins',
      'locked-memory limit',
    ]);
    const failed = checks.filter((c) => !c.ok);
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(status).toBe(0);
    expect(checks.find((c) => c.name === 'Wasmtime C API')!.detail).toMatch(/wasmtime 49\.0\.0/);
  });

  it('names the package to install when clang is missing', () => {
    const { status, checks } = doctor({ ...process.env, PATH: '/nonexistent' });
    const clang = checks.find((c) => c.name === 'clang wasm32-wasi')!;
    expect(clang.ok).toBe(false);
    expect(clang.fix).toBe('apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32');
    expect(status).toBe(1);
  });
});
