// Recipes: every shipped recipe passes against a fresh real daemon, and the
// .edge language stops at the first failed line with the file, the line and
// the values seen, or before the first line when the recipe is malformed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { cleanup, CLI, ROOT, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { writeTileGrid } from './helpers/tile-grid.js';
import { uringSkipReason } from './helpers/uring.js';

const skip = uringSkipReason();

const SHIPPED = [
  ...fs.readdirSync(path.join(ROOT, 'recipes')).filter((n) => n.endsWith('.edge')),
  ...fs.readdirSync(path.join(ROOT, 'recipes', 'labs')).map((n) => `labs/${n}`),
].sort();

let tiles: string;
let scratch: string;
let daemon: TestDaemon | undefined;

function runRecipe(file: string, socket: string, extra: string[] = []) {
  const result = spawnSync(process.execPath, [CLI, 'run', file, '--socket', socket, ...extra], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeRecipe(name: string, text: string): string {
  const file = path.join(scratch, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe.skipIf(skip)('recipes', { timeout: 120_000 }, () => {
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-recipes-'));
    tiles = path.join(scratch, 'tiles');
    writeTileGrid(tiles, 4, 4);
  });

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  afterEach(() => {
    cleanup(daemon);
    daemon = undefined;
  });

  it('ships the four recipes of the issue and at least three labs', () => {
    expect(SHIPPED).toEqual(
      expect.arrayContaining(['demo.edge', 'faults.edge', 'hot-swap.edge', 'hostile-plugin.edge']),
    );
    expect(SHIPPED.filter((n) => n.startsWith('labs/')).length).toBeGreaterThanOrEqual(3);
  });

  for (const recipe of SHIPPED) {
    it(`plays recipes/${recipe} to the end against a fresh daemon`, async () => {
      daemon = await startDaemon();
      const result = runRecipe(path.join(ROOT, 'recipes', recipe), daemon.socket, [
        '--var',
        `TILES=${tiles}`,
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(new RegExp(`recipes/${recipe}: \\d+ steps passed in`));
      expect(result.status).toBe(0);
      const status = await daemon.drained();
      expect(status.tiles.fed).toBe(status.tiles.written + status.tiles.quarantined);
    });
  }

  it('stops at a failed expect with the file, line and value seen, and exits 1', async () => {
    daemon = await startDaemon();
    const file = writeRecipe(
      'expect.edge',
      '# a comment\necho start\nexpect tiles.written == 99\necho never\n',
    );
    const result = runRecipe(file, daemon.socket);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('start\n');
    expect(result.stdout).not.toContain('never');
    expect(result.stderr).toBe(
      `\nFAILED ${file}:3: expect tiles.written == 99\n` +
        '  expect tiles.written == 99 failed: tiles.written is 0\n',
    );
  });

  it('reports the first and last values a wait saw when its time runs out', async () => {
    daemon = await startDaemon();
    const file = writeRecipe('wait.edge', 'wait tiles.written >= 5 within 300ms\n');
    const result = runRecipe(file, daemon.socket);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /wait tiles.written >= 5 within 300ms failed: not met after \d+\.\d s;/,
    );
    expect(result.stderr).toContain('; tiles.written was 0 at the start and 0 at the end\n');
  });

  it('refuses a recipe with an unknown command before running its first line', async () => {
    daemon = await startDaemon();
    const file = writeRecipe('typo.edge', 'echo first\nfed tiles\n');
    const result = runRecipe(file, daemon.socket);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`edgecam: ${file}:2: unknown command 'fed'`);
    expect(result.stderr).toContain('did you mean `feed`?');
  });

  it('refuses a recipe whose variable is not set, and says how to set it', async () => {
    daemon = await startDaemon();
    const file = writeRecipe('vars.edge', 'echo go\nfeed ${EDGECAM_TEST_NOPE}\n');
    const result = runRecipe(file, daemon.socket);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `edgecam: ${file}:2: \${EDGECAM_TEST_NOPE} is not set\n` +
        '  pass --var EDGECAM_TEST_NOPE=VALUE, ' +
        'or export EDGECAM_TEST_NOPE=VALUE before running the recipe\n',
    );
  });

  it('reads relative paths from the recipe folder, and --var fills variables', async () => {
    daemon = await startDaemon();
    fs.cpSync(tiles, path.join(scratch, 'nested', 'tiles'), { recursive: true });
    const file = writeRecipe(
      'nested/deeper/feed.edge',
      'feed ../tiles\nwait tiles.written == ${COUNT} within 30s\nexpect tiles.quarantined == 0\n',
    );
    const result = runRecipe(file, daemon.socket, ['--var', 'COUNT=16']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('› feed ../tiles\nfed 16 tiles');
    expect(result.status).toBe(0);
  });

  it('prints one JSON record per line with --json, sleeps shortened by --speed', async () => {
    daemon = await startDaemon();
    const file = writeRecipe('json.edge', 'echo hello\nsleep 2s\nexpect hosts.length == 2\n');
    const result = runRecipe(file, daemon.socket, ['--json', '--speed', '20']);
    expect(result.status).toBe(0);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => [r.line, r.command, r.ok])).toEqual([
      [1, 'echo hello', true],
      [2, 'sleep 2s', true],
      [3, 'expect hosts.length == 2', true],
      [undefined, undefined, undefined],
    ]);
    expect(records[1].result).toEqual({ sleptMs: 100 });
    expect(records[2].result).toMatchObject({ ok: true, metric: 'hosts.length', actual: 2 });
    expect(records[3]).toMatchObject({ steps: 3, skipped: 0, passed: true });
  });

  it('asks before each line with --step: Enter runs it, s skips it, q stops with status 130', async () => {
    daemon = await startDaemon();
    const file = writeRecipe('step.edge', 'echo one\necho two\necho three\n');
    const step = (answers: string) =>
      spawnSync(process.execPath, [CLI, 'run', file, '--step', '--socket', daemon!.socket], {
        encoding: 'utf8',
        input: answers,
        timeout: 30_000,
      });

    const skipped = step('\ns\n\n');
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toContain(`${file}:1  echo one   [Enter] run, s skip, q stop: \none\n`);
    expect(skipped.stdout).toContain(
      `${file}:2  echo two   [Enter] run, s skip, q stop: \n${file}:3`,
    );
    expect(skipped.stdout).toContain(`${file}: 2 steps passed`);

    const stopped = step('\nq\n');
    expect(stopped.status).toBe(130);
    expect(stopped.stdout).not.toContain('two\n');
    expect(stopped.stderr).toBe(`edgecam: replay of ${file} cancelled\n`);
  });

  it('replays one recipe from another, and refuses a recipe that replays itself', async () => {
    daemon = await startDaemon();
    writeRecipe('inner.edge', 'echo from inner\n');
    const outer = writeRecipe('outer.edge', 'echo from outer\nreplay inner.edge\n');
    const ok = runRecipe(outer, daemon.socket);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(
      /from outer\n› replay inner.edge\nfrom inner\n.*inner.edge: 1 steps passed/,
    );

    const loop = writeRecipe('loop.edge', 'replay loop.edge\n');
    const refused = runRecipe(loop, daemon.socket);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`FAILED ${loop}:1: replay loop.edge`);
    expect(refused.stderr).toContain('replays itself');
  });
});
