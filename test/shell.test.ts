// The operator shell in a real terminal (tmux) against a real daemon: the
// prompt, Tab, wrong commands, Ctrl-C, watch, prompts, history, a lost
// daemon, record and replay, and starting a daemon when none runs.
//
// docs/images/watch.png comes from the kill-and-drop test here:
//   npx tsc -p . &&
//   EDGECAM_SCREENSHOT=docs/images/watch.png npx vitest run test/shell.test.ts -t kill

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import sharp from 'sharp';

import { ControlClient } from '../shell/control-client.js';
import { ansiToSvg } from './helpers/ansi-svg.js';
import { cleanup, CLI, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { writeTileGrid } from './helpers/tile-grid.js';
import { openTerminal, tmuxSkipReason, type Terminal } from './helpers/tmux.js';
import { uringSkipReason } from './helpers/uring.js';

const skip = tmuxSkipReason() || uringSkipReason();
const PROMPT = 'edgecam> ';

let daemon: TestDaemon;
let home: string;
let term: Terminal | undefined;

/** The shell attached to the shared test daemon, in a fresh terminal. */
function openShell(
  args: string[] = [],
  env: Record<string, string> = {},
  cols = 100,
  rows = 30,
): Terminal {
  term = openTerminal([process.execPath, CLI, '--socket', daemon.socket, ...args], {
    cwd: daemon.dir,
    env: { HOME: home, ...env },
    cols,
    rows,
  });
  return term;
}

/** Types a line and waits for the prompt that follows its output. */
async function run(t: Terminal, line: string, expected: RegExp | string): Promise<string> {
  t.type(line);
  t.press('Enter');
  return t.waitFor(expected);
}

/** A daemon of the test's own on `socket` (startDaemon always picks a new socket). */
function spawnDaemon(socket: string, outDir: string, logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'w');
  const args = [CLI, 'daemon', '--socket', socket, '--out', outDir, '--hosts', '1'];
  args.push('--cache-dir', path.join(os.tmpdir(), 'edgecam-test-modules'));
  return spawn(process.execPath, args, { stdio: ['ignore', log, log] });
}

/** Waits until a daemon accepts connections on `socket` (a dead one leaves its file behind). */
async function untilAnswering(socket: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      (await ControlClient.connect(socket)).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no daemon answered on ${socket}`);
}

async function waitForPid(pid: number, gone: boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (fs.existsSync(`/proc/${pid}`) !== gone) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pid ${pid} did not ${gone ? 'exit' : 'start'}`);
}

describe.skipIf(skip)('the operator shell in a terminal', { timeout: 40_000 }, () => {
  beforeAll(async () => {
    daemon = await startDaemon();
    writeTileGrid(daemon.inDir, 4, 4);
  });

  afterAll(() => cleanup(daemon));

  afterEach(() => {
    term?.close();
    term = undefined;
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-home-'));
  });

  it('opens at a prompt attached to the daemon and shows status as a readable report', async () => {
    const t = openShell();
    const banner = await t.waitFor(PROMPT);
    expect(banner).toContain(`attached to unix:${daemon.socket}: daemon pid ${daemon.process.pid}`);
    expect(banner).toMatch(/plugin grayscale, 2 hosts/);

    const screen = await run(t, 'status', /tiles\s+fed \d+ = written \d+/);
    expect(screen).toMatch(/id\s+pid\s+state\s+plugin\s+tiles/);
    expect(screen).toMatch(/h1\s+\d+\s+ready\s+grayscale/);

    t.press('C-d');
    for (let i = 0; i < 100 && !t.exited(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(t.exited()).toBe(true);
  });

  it('completes commands, plugins, metric paths, host ids and paths with Tab', async () => {
    const t = openShell();
    await t.waitFor(PROMPT);

    t.type('stat');
    t.press('Tab');
    await t.waitFor(`${PROMPT}status`);
    t.press('C-u');

    t.type('load box');
    t.press('Tab');
    await t.waitFor(`${PROMPT}load box-blur`);
    t.press('C-u');

    t.type('wait tiles.wr');
    t.press('Tab');
    await t.waitFor(`${PROMPT}wait tiles.written`);
    t.press('C-u');

    t.type('feed i');
    t.press('Tab');
    await t.waitFor(`${PROMPT}feed in/`);
    t.press('C-u');

    t.type('stall h');
    t.press('Tab');
    await new Promise((r) => setTimeout(r, 300));
    t.press('Tab');
    const screen = await t.waitFor(/h1\s+h2/);
    expect(screen).toContain(`${PROMPT}stall h`);
  });

  it('answers a wrong command with what was expected and the usage', async () => {
    const t = openShell();
    await t.waitFor(PROMPT);

    let screen = await run(t, 'statsu', 'did you mean');
    expect(screen).toContain(
      "error: unknown command 'statsu'; expected one of: status, hosts, plugins",
    );
    expect(screen).toContain('did you mean `status`? `help status` shows its usage');

    screen = await run(t, 'wait tiles.written', 'usage: wait');
    expect(screen).toContain(
      'error: Expected one of == != < <= > >= for the operator of wait but received nothing',
    );
    expect(screen).toContain('usage: wait METRIC OP VALUE [within DURATION]');

    screen = await run(t, 'sleep soon', 'usage: sleep');
    expect(screen).toContain(
      "Expected a duration like 500ms, 10s, 2m or 1h for sleep but received 'soon'",
    );
  });

  it('cancels a running wait with Ctrl-C and returns to the prompt', async () => {
    const t = openShell();
    await t.waitFor(PROMPT);

    t.type('wait tiles.written >= 1000000 within 60s');
    t.press('Enter');
    await t.waitFor('waiting: tiles.written is');
    t.press('C-c');
    await t.waitFor('wait cancelled');

    const screen = await run(t, 'echo still here', /^still here$/m);
    expect(screen).toMatch(/wait cancelled\n.*edgecam> echo still here\nstill here/);
  });

  it('draws watch full screen, with help and resizing; q restores the terminal', async () => {
    await daemon.request('feed', daemon.inDir);
    const t = openShell([], {}, 110, 34);
    await t.waitFor(PROMPT);
    await run(t, 'echo before watch', /^before watch$/m);

    t.type('watch');
    t.press('Enter');
    let screen = await t.waitFor(/h2\s+\d+\s+ready/);
    expect(t.alternateScreen()).toBe(true);
    for (const panel of [
      'tiles/s in and out',
      'latency ms',
      'backlog',
      'pipeline',
      'hosts',
      'events',
    ]) {
      expect(screen).toContain(panel);
    }
    expect(screen).toMatch(/fed \d+ = written \d+ \+ quarantined \d+ \+ in flight \d+/);

    t.press('?');
    await t.waitFor('back to the prompt');

    t.resize(90, 28);
    screen = await t.waitFor(/^│?.*tiles\/s in and out/m);
    expect(screen.split('\n')[0].length).toBeLessThanOrEqual(90);

    t.press('q');
    screen = await t.waitFor(/left watch after \d+ s/);
    expect(t.alternateScreen()).toBe(false);
    expect(t.cursorVisible()).toBe(true);
    // The screen from before watch is back, and the line editor still works.
    expect(screen).toContain('before watch');
    t.type('stat');
    t.press('Tab');
    await t.waitFor(`${PROMPT}status`);
  });

  it('shows a kill and a drop in watch as they happen, and clears them with c', async () => {
    const own = await startDaemon();
    try {
      const tiles = path.join(own.dir, 'many');
      writeTileGrid(tiles, 40, 50);
      term = openTerminal([process.execPath, CLI, '--socket', own.socket], {
        cwd: own.dir,
        env: { HOME: home },
        cols: 120,
        rows: 36,
      });
      const t = term;
      await t.waitFor(PROMPT);
      // A slow execute stage keeps 2,000 tiles flowing for several seconds.
      await run(
        t,
        'delay 400ms±100ms execute for 30s',
        'fault 1 on: delay 400ms±100ms execute for 30s',
      );
      await run(t, 'feed many', 'fed 2000 tiles');

      t.type('watch');
      t.press('Enter');
      await t.waitFor(/h2\s+\d+\s+ready/);
      await t.waitFor(/fed 2000 = written [1-9]\d* \+/);
      // For the picture, a few seconds of charts before the faults, and after them.
      const screenshot = process.env.EDGECAM_SCREENSHOT;
      const pause = (ms: number) => new Promise((r) => setTimeout(r, screenshot ? ms : 0));
      await pause(1500);

      t.press('k');
      await t.waitFor(/│k: kill-algo\s/);
      await t.waitFor(/│ {3}killed h\d/);
      await t.waitFor(/host-died: host h\d/);
      t.press('d');
      await t.waitFor('fault-on: drop 5% for 10s');
      await t.waitFor(/faults {2}delay 400ms±100ms execute for 30s.*\n.*│ {9}drop 5% for 10s/);
      await t.waitFor(/host restarts 1\b/);
      await t.waitFor(/restarts\s+memory[\s\S]*h\d\s+\d+\s+ready\s+\d+\s+1\s/);

      await pause(3000);
      if (screenshot) {
        const svg = ansiToSvg(
          t.screenWithColours(),
          120,
          'edgecam> watch    (k: kill-algo, then d: drop 5% for 10s, during a 2,000-tile run)',
        );
        await sharp(Buffer.from(svg)).png().toFile(screenshot);
      }

      t.press('c');
      await t.waitFor(/cleared 2 faults/);
      await t.waitFor(/faults\s+none/);
      t.press('q');
      await t.waitFor(
        /left watch after \d+ s: \d+ tiles written meanwhile, \d+ in all; host restarts 1/,
      );
      expect(t.alternateScreen()).toBe(false);
    } finally {
      cleanup(own);
    }
  });

  it('offers the plugins, each with its summary, when load has no argument', async () => {
    const t = openShell();
    await t.waitFor(PROMPT);

    t.type('load');
    t.press('Enter');
    const screen = await t.waitFor('Load which plugin?');
    expect(screen).toMatch(/box-blur\s+Blur: mean of a square window/);
    expect(screen).toMatch(/grayscale\s+Gray by Rec. 601 luma.*\(running\)/);

    t.press('Down');
    t.press('Enter');
    await t.waitFor(/loaded invert \(compiled/);
    expect((await daemon.request('status')).plugin.name).toBe('invert');
    await run(t, 'load grayscale', /loaded grayscale/);
  });

  it('asks before kill-algo all: a no kills nothing, --yes asks nothing', async () => {
    const before = (await daemon.request('status')).hostRestarts;
    const t = openShell();
    await t.waitFor(PROMPT);

    t.type('kill-algo all');
    t.press('Enter');
    await t.waitFor('Kill all 2 algorithm hosts?');
    t.type('n');
    t.press('Enter');
    await t.waitFor('no host killed');
    expect((await daemon.request('status')).hostRestarts).toBe(before);

    // --yes on the line: no question.
    await run(t, 'kill-algo all --yes', /^killed h1, h2$/m);
    await run(
      t,
      `wait hostRestarts >= ${before + 2} within 20s`,
      `ok  wait hostRestarts >= ${before + 2}`,
    );
    expect(t.screen()).not.toMatch(/Kill all 2 algorithm hosts\?[\s\S]*Kill all 2/);
  });

  it('keeps history between sessions, but never a line that holds a token', async () => {
    const secret = 'tok-9f8e7d6c5b4a';
    let t = openShell([], { EDGECAM_TOKEN: secret });
    await t.waitFor(PROMPT);
    await run(t, 'echo hello', /^hello$/m);
    await run(t, `echo ${secret}`, new RegExp(`^${secret}$`, 'm'));
    await run(t, 'attach tcp://127.0.0.1:9 --token abcdef', 'a token typed on a line');
    t.type('quit');
    t.press('Enter');
    for (let i = 0; i < 100 && !t.exited(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(t.exited()).toBe(true);
    t.close();

    const history = fs.readFileSync(path.join(home, '.edgecam_history'), 'utf8');
    expect(history).toBe('echo hello\nquit\n');
    expect(fs.statSync(path.join(home, '.edgecam_history')).mode & 0o777).toBe(0o600);

    t = openShell();
    await t.waitFor(PROMPT);
    t.press('Up');
    await t.waitFor(`${PROMPT}quit`);
    t.press('Up');
    await t.waitFor(`${PROMPT}echo hello`);
  });

  it('records typed commands with their timing, and replays them', async () => {
    const t = openShell();
    await t.waitFor(PROMPT);
    await run(t, 'record session.edge', 'recording to');
    await run(t, 'echo first', /^first$/m);
    await new Promise((r) => setTimeout(r, 400));
    await run(t, 'expect hosts.length == 2', 'ok  expect hosts.length == 2');
    await run(t, 'help wait', 'usage: wait');
    await run(t, 'record stop', 'recorded 2 commands');

    const recipe = fs.readFileSync(path.join(daemon.dir, 'session.edge'), 'utf8');
    const commands = recipe.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(commands[0]).toBe('echo first');
    expect(commands[1]).toMatch(/^sleep \d+(\.\d)?s$|^sleep \d+ms$/);
    expect(commands[2]).toBe('expect hosts.length == 2');
    expect(commands).toHaveLength(3);

    await run(t, 'replay session.edge --speed 50', /session.edge: 3 steps passed/);
  });

  it('replays step by step: Enter runs a line, s skips it', async () => {
    fs.writeFileSync(path.join(daemon.dir, 'steps.edge'), 'echo one\necho two\n');
    const t = openShell();
    await t.waitFor(PROMPT);
    t.type('replay steps.edge --step');
    t.press('Enter');
    await t.waitFor('steps.edge:1  echo one   [Enter] run, s skip, q stop:');
    t.press('Enter');
    await t.waitFor(/^one$/m);
    await t.waitFor('steps.edge:2  echo two');
    t.type('s');
    t.press('Enter');
    const screen = await t.waitFor('steps.edge: 1 steps passed');
    expect(screen).not.toMatch(/^two$/m);
  });

  it('says so when the daemon is lost, and reconnects when asked', async () => {
    const own = await startDaemon(['--hosts', '1']);
    try {
      term = openTerminal([process.execPath, CLI, '--socket', own.socket], { env: { HOME: home } });
      const t = term;
      await t.waitFor(PROMPT);

      own.process.kill('SIGKILL');
      await t.waitFor(`lost connection: the daemon at unix:${own.socket} closed the connection`);
      await t.waitFor(`Reconnect to unix:${own.socket}?`);
      t.type('n');
      t.press('Enter');
      await t.waitFor('edgecam (detached)> ');
      let screen = await run(t, 'status', "'status' needs a daemon");
      expect(screen).toContain('type `attach` to attach to unix:');

      // A new daemon on the same socket; `attach` with no address finds it.
      const second = spawnDaemon(own.socket, own.outDir, path.join(own.dir, 'second.log'));
      try {
        await untilAnswering(own.socket);
        screen = await run(t, 'attach', `attached to unix:${own.socket}: daemon pid ${second.pid}`);
        await run(t, 'expect hosts.length == 1', 'ok  expect hosts.length == 1');
      } finally {
        second.kill('SIGKILL');
      }

      // Lost again; this time a daemon is back before the answer, and yes reattaches.
      await t.waitFor(/Reconnect to unix:.*\n(.*\n)*.*Reconnect to unix:/);
      const third = spawnDaemon(own.socket, own.outDir, path.join(own.dir, 'third.log'));
      try {
        await untilAnswering(own.socket);
        t.type('y');
        t.press('Enter');
        await t.waitFor(`attached to unix:${own.socket} again`);
        screen = await run(t, 'status', new RegExp(`daemon\\s+pid ${third.pid}`));
      } finally {
        third.kill('SIGKILL');
      }
    } finally {
      cleanup(own);
    }
  });

  it('attaches over TCP with a token file, shown in the prompt; attach switches', async () => {
    const tokenFile = path.join(home, 'token');
    fs.writeFileSync(tokenFile, 'tcp-shell-token-0123456789\n', { mode: 0o600 });
    const remote = await startDaemon(['--hosts', '1', '--listen', '0', '--token-file', tokenFile]);
    try {
      const address = (await remote.request('status')).daemon.listening.tcp as string;
      term = openTerminal(
        [process.execPath, CLI, 'attach', `tcp://${address}`, '--token-file', tokenFile],
        {
          env: { HOME: home },
        },
      );
      const t = term;
      const banner = await t.waitFor(`edgecam@${address}> `);
      expect(banner).toContain(
        `attached to tcp://${address}: daemon pid ${remote.process.pid}, plugin grayscale, 1 hosts`,
      );
      await run(t, 'expect hosts.length == 1', 'ok  expect hosts.length == 1');

      await run(
        t,
        `attach unix:${daemon.socket}`,
        `attached to unix:${daemon.socket}: daemon pid ${daemon.process.pid}`,
      );
      await run(t, 'expect hosts.length == 2', 'ok  expect hosts.length == 2');
      await run(t, 'detach', `detached from unix:${daemon.socket}; the daemon keeps running`);
      await t.waitFor('edgecam (detached)> ');
    } finally {
      cleanup(remote);
    }
  });

  it('starts a daemon in the background when none runs, and says so', async () => {
    const socket = path.join(home, 'run', 'control.sock');
    term = openTerminal([process.execPath, CLI], {
      cwd: home,
      env: { HOME: home, EDGECAM_SOCKET: socket },
    });
    const t = term;
    const screen = await t.waitFor(PROMPT, 30_000);
    const pid = Number(/pid (\d+), tiles written to/.exec(screen)?.[1]);
    try {
      expect(screen).toContain(
        `no daemon was running on ${socket}, so one was started in the background`,
      );
      const out = path.join(home, '.local', 'share', 'edgecam', 'out');
      expect(screen).toContain(`tiles written to ${out}`);
      expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
      await run(t, 'stop', 'the daemon is draining and will exit');
      await waitForPid(pid, true);
      await t.waitFor(`the daemon at unix:${socket} has stopped, as asked; the shell is detached`);
      await t.waitFor('edgecam (detached)> ');
      expect(t.screen()).not.toContain('Reconnect to');
    } finally {
      if (pid > 0 && fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
    }
  });
});
