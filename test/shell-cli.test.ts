// `edgecam exec` and attaching without a terminal: exit statuses, --json,
// TCP with a token from a file or the environment, and tokens refused on
// the command line. A real daemon; the built CLI as a person runs it.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DAEMON_COMMANDS } from '../core/commands.js';
import { VOCABULARY } from '../shell/vocabulary.js';
import { cleanup, CLI, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { uringSkipReason } from './helpers/uring.js';

const skip = uringSkipReason();
const TOKEN = 'shell-test-token-5e1f';

let daemon: TestDaemon;
let tokenDir: string;
let tcpAddress: string;

function edgecam(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, EDGECAM_TOKEN: '', ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(skip)('edgecam exec and attach', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-token-'));
    fs.writeFileSync(path.join(tokenDir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(tokenDir, 'wrong'), 'not-the-token\n', { mode: 0o600 });
    daemon = await startDaemon(['--listen', '0', '--token-file', path.join(tokenDir, 'token')]);
    tcpAddress = `tcp://${(await daemon.request('status')).daemon.listening.tcp}`;
  });

  afterAll(() => {
    cleanup(daemon);
    fs.rmSync(tokenDir, { recursive: true, force: true });
  });

  it('runs one command, prints its answer and exits 0; --json prints the result itself', () => {
    const readable = edgecam(['exec', 'expect hosts.length == 2', '--socket', daemon.socket]);
    expect(readable).toMatchObject({
      status: 0,
      stdout: 'ok  expect hosts.length == 2  (hosts.length is 2)\n',
    });

    const json = edgecam(['exec', 'hosts', '--json', '--socket', daemon.socket]);
    expect(json.status).toBe(0);
    const hosts = JSON.parse(json.stdout);
    expect(hosts.map((h: { id: string }) => h.id)).toEqual(['h1', 'h2']);
    expect(hosts[0].pid).toBe(
      JSON.parse(edgecam(['status', '--json', '--socket', daemon.socket]).stdout).hosts[0].pid,
    );
  });

  it('exits 1 when an expectation fails and 2 on a usage error, saying why', () => {
    const failed = edgecam(['exec', 'expect hosts.length == 5', '--socket', daemon.socket]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe('edgecam: expect hosts.length == 5 failed: hosts.length is 2\n');

    const usage = edgecam(['exec', 'wait tiles.written', '--socket', daemon.socket]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe(
      'edgecam: Expected one of == != < <= > >= for the operator of wait but received nothing\n' +
        '  usage: wait METRIC OP VALUE [within DURATION]\n',
    );

    const unknown = edgecam(['exec', 'kill-alog', '--socket', daemon.socket]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('did you mean `kill-algo`?');
  });

  it('says how to start a daemon when none listens, and answers help without one', () => {
    const socket = path.join(tokenDir, 'nobody.sock');
    const none = edgecam(['exec', 'status', '--socket', socket]);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(
      `edgecam: cannot attach to unix:${socket}: no daemon is listening there\n` +
        '  start one with `edgecam daemon`, or pass --socket PATH\n',
    );

    const help = edgecam(['exec', 'help wait', '--socket', socket]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: wait METRIC OP VALUE [within DURATION]');
  });

  it('attaches over TCP with the token from a file or EDGECAM_TOKEN, and not without it', () => {
    const fromFile = edgecam([
      'exec',
      'expect hosts.length == 2',
      '--attach',
      tcpAddress,
      '--token-file',
      path.join(tokenDir, 'token'),
    ]);
    expect(fromFile.status).toBe(0);

    const fromEnv = edgecam(['status', '--json', '--attach', tcpAddress], { EDGECAM_TOKEN: TOKEN });
    expect(fromEnv.status).toBe(0);
    expect(JSON.parse(fromEnv.stdout).daemon.pid).toBe(daemon.process.pid);

    const wrong = edgecam([
      'exec',
      'status',
      '--attach',
      tcpAddress,
      '--token-file',
      path.join(tokenDir, 'wrong'),
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^edgecam: tcp:\/\/127\.0\.0\.1:\d+ refused the token: /);

    const without = edgecam(['exec', 'status', '--attach', tcpAddress]);
    expect(without.status).toBe(1);
    expect(without.stderr).toContain(`attaching to ${tcpAddress} needs the daemon's token`);
    expect(without.stderr).toContain('pass --token-file FILE, or set EDGECAM_TOKEN');
  });

  it('refuses a token on the command line, where ps would show it', () => {
    const result = edgecam(['exec', 'status', '--attach', tcpAddress, `--token=${TOKEN}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('received --token on the command line');
    expect(result.stdout).toBe('');
  });
});

describe('the shell vocabulary', () => {
  it("knows every word of the daemon, with the daemon's own usage", () => {
    // subscribe and unsubscribe are for clients like watch, not for typing.
    const typed = DAEMON_COMMANDS.filter((c) => !['subscribe', 'unsubscribe'].includes(c.name));
    for (const command of typed) {
      const word = VOCABULARY.find((w) => w.name === command.name);
      expect(word, command.name).toBeDefined();
      expect(word!.usage, command.name).toBe(command.usage);
    }
  });
});
