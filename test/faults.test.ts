// Faults and recovery against a real daemon: kills, drops, stalls, delays,
// hostile plugins, hot swap under load, a daemon killed and restarted. The
// promise under test: every tile fed is written or quarantined with its
// cause, and fed = written + quarantined + in flight at every status.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { cleanup, startDaemon, type TestDaemon } from './helpers/daemon.js';
import {
  decodePnm,
  encodePnm,
  maxDifference,
  referenceGrayscale,
  syntheticImage,
} from './helpers/pnm.js';
import { uringSkipReason } from './helpers/uring.js';

let daemons: TestDaemon[] = [];
afterEach(() => {
  daemons.forEach(cleanup);
  daemons = [];
});

async function start(args: string[] = [], dir?: string): Promise<TestDaemon> {
  const daemon = await startDaemon(args, dir);
  daemons.push(daemon);
  return daemon;
}

/** Tiles named like `edgecam import` names them, so plugins see their row. */
function writeGrid(dir: string, rows: number, cols: number, size = 32): string[] {
  const names: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const name = `grid_r${String(r).padStart(3, '0')}_c${String(c).padStart(3, '0')}.ppm`;
      const image = syntheticImage(size, size, 3, r * 1000 + c + 1);
      fs.writeFileSync(path.join(dir, name), encodePnm(image));
      names.push(name);
    }
  }
  return names;
}

function expectGray(daemon: TestDaemon, names: string[]): void {
  for (const name of names) {
    const input = decodePnm(fs.readFileSync(path.join(daemon.inDir, name)));
    const output = decodePnm(fs.readFileSync(path.join(daemon.outDir, name)));
    expect(maxDifference(output.pixels, referenceGrayscale(input)), name).toBeLessThanOrEqual(1);
  }
}

/** Polls status until drained, checking the invariant at every poll. */
async function drainChecking(daemon: TestDaemon, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await daemon.request('status');
    expect(s.tiles.fed).toBe(s.tiles.written + s.tiles.quarantined + s.tiles.inFlight);
    if (s.tiles.inFlight === 0) return s;
    if (Date.now() > until) throw new Error(`not drained: ${JSON.stringify(s.tiles)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads one unlabelled sample from the daemon's /metrics over its --http port. */
async function fetchMetric(daemon: TestDaemon, name: string): Promise<number> {
  const http = (await daemon.request('status')).daemon.listening.http;
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

async function waitForHost(
  daemon: TestDaemon,
  id: string,
  ok: (host: any) => boolean,
): Promise<any> {
  for (let i = 0; i < 250; i++) {
    const host = (await daemon.request('hosts')).find((h: any) => h.id === id);
    if (host && ok(host)) return host;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`host ${id} did not reach the expected state`);
}

async function quarantined(daemon: TestDaemon, count: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const records = await daemon.request('quarantine');
    if (records.length >= count) return records;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('quarantine records did not appear');
}

describe.skipIf(uringSkipReason())('faults and recovery', () => {
  it('loses no tile of 5,000 while a host is killed every 200 ms and 5% of tiles are dropped', async () => {
    const daemon = await start(['--max-attempts', '10', '--slots', '128']);
    const names = writeGrid(daemon.inDir, 50, 100);

    await daemon.request('kill-algo', 'every', '200ms');
    await daemon.request('drop', '5%', 'execute', 'seed', '7');
    const started = Date.now();
    await daemon.request('feed', daemon.inDir);
    const s = await drainChecking(daemon);
    const seconds = (Date.now() - started) / 1000;
    expect((await daemon.request('faults', 'clear')).cleared).toBe(2);

    expect(s.tiles).toMatchObject({ fed: 5000, written: 5000, quarantined: 0, inFlight: 0 });
    expect(s.hostRestarts).toBeGreaterThan(0);
    expect(s.tiles.retries).toBeGreaterThan(0);
    expect(s.errors.lost).toBeGreaterThan(0);
    // Each drop fails exactly one attempt: noticed as lost, or as host-died
    // when its host was killed before the loss was noticed.
    expect(s.errors.lost).toBeLessThanOrEqual(s.faults.injected.drop);
    expect(s.errors.lost + s.errors['host-died']).toBeGreaterThanOrEqual(s.faults.injected.drop);
    expect(s.faults.injected['kill-algo']).toBeGreaterThanOrEqual(s.hostRestarts);
    expect(s.recoveryMs.count).toBeGreaterThan(0);
    expectGray(daemon, names);
    console.log(
      `soak: ${JSON.stringify({ ...s.tiles, seconds, restarts: s.hostRestarts, errors: s.errors, restartMs: s.restartMs, recoveryMs: s.recoveryMs })}`,
    );
  }, 180_000);

  it('never leaves a tile both written and quarantined under every fault at once', async () => {
    const daemon = await start(['--max-attempts', '3', '--deadline-ms', '100']);
    writeGrid(daemon.inDir, 15, 100);
    for (const fault of [
      'delay 5ms±3ms execute',
      'delay 2ms write',
      'drop 30% execute seed 1',
      'drop 10% read seed 2',
      'drop 10% write seed 3',
      'kill-algo every 20ms',
      'stall h1',
    ]) {
      const [cmd, ...args] = fault.split(' ');
      await daemon.request(cmd, ...args);
    }
    await daemon.request('feed', daemon.inDir);
    await new Promise((r) => setTimeout(r, 1500));
    await daemon.request('faults', 'clear');
    const s = await drainChecking(daemon);
    await quarantined(daemon, s.tiles.quarantined);
    await new Promise((r) => setTimeout(r, 300)); // late writes and removals settle

    expect(s.tiles.fed).toBe(1500);
    expect(s.tiles.quarantined).toBeGreaterThan(0);
    const written = fs.readdirSync(daemon.outDir).filter((n) => !n.startsWith('.'));
    const records = fs.readdirSync(daemon.quarantineDir).filter((n) => n.endsWith('.json'));
    const both = records.map((n) => n.slice(0, -5)).filter((n) => written.includes(n));
    expect(both).toEqual([]);
    expect(written.length).toBe(s.tiles.written);
    expect(records.length).toBe(s.tiles.quarantined);
  }, 60_000);

  it('drops the same tiles when a seeded drop is run twice', async () => {
    const lostSets: string[][] = [];
    for (const seed of ['42', '42', '43']) {
      const daemon = await start(['--max-attempts', '1']);
      writeGrid(daemon.inDir, 10, 20);
      await daemon.request('drop', '10%', 'execute', 'seed', seed);
      await daemon.request('feed', daemon.inDir);
      const s = await drainChecking(daemon);
      const records = await quarantined(daemon, s.tiles.quarantined);
      expect(records.every((r: any) => r.attempts[0].cause === 'lost')).toBe(true);
      lostSets.push(records.map((r: any) => r.tile).sort());
      cleanup(daemon);
    }
    expect(lostSets[0].length).toBeGreaterThan(5);
    expect(lostSets[1]).toEqual(lostSets[0]);
    expect(lostSets[2]).not.toEqual(lostSets[0]);
  });

  const hostile: Array<[string, string, string, RegExp]> = [
    ['1', 'never returns', 'timeout', /deadline/],
    ['2', 'grabs memory', 'memory', /refused memory/],
    ['3', 'traps', 'trap', /unreachable/],
    [
      '4',
      'opens a file',
      'plugin',
      /returned EDGECAM_ERR_DENIED \(a resource, such as a file, was refused\)/,
    ],
  ];
  for (const [mode, what, cause, message] of hostile) {
    it(`quarantines the tiles of a plugin that ${what} with cause ${cause} while the other tiles flow`, async () => {
      const daemon = await start([
        '--deadline-ms',
        '100',
        '--memory-mb',
        '16',
        '--max-attempts',
        '2',
      ]);
      await daemon.request('load', 'hostile/selective', mode, '1');
      const names = writeGrid(daemon.inDir, 3, 4);
      await daemon.request('feed', daemon.inDir);
      const s = await drainChecking(daemon);

      expect(s.tiles).toMatchObject({ fed: 12, written: 8, quarantined: 4 });
      const records = await quarantined(daemon, 4);
      expect(records.map((r: any) => r.tile).sort()).toEqual(
        names.filter((n) => n.includes('_r001_')),
      );
      for (const record of records) {
        expect(record.attempts.map((a: any) => a.cause)).toEqual([cause, cause]);
        expect(record.attempts[0].message).toMatch(message);
        expect(record.attempts[0].plugin).toMatch(/^hostile\/selective@/);
      }
      expectGray(
        daemon,
        names.filter((n) => !n.includes('_r001_')),
      );
      // The hosts survived or were renewed: all are ready.
      expect(s.hosts.every((h: any) => h.state === 'ready')).toBe(true);
    });
  }

  it('hot-swaps under load: every output is correct for the plugin that made it, none missing', async () => {
    const daemon = await start();
    const names = writeGrid(daemon.inDir, 20, 100);
    await daemon.request('delay', '1ms', 'execute');
    await daemon.request('feed', daemon.inDir);
    for (
      let s = await daemon.request('status');
      s.tiles.written < 200;
      s = await daemon.request('status')
    ) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const loaded = await daemon.request('load', 'invert');
    await daemon.request('faults', 'clear');
    const s = await drainChecking(daemon);
    expect(s.tiles).toMatchObject({ fed: 2000, written: 2000, quarantined: 0 });

    let gray = 0;
    let inverted = 0;
    for (const name of names) {
      const input = decodePnm(fs.readFileSync(path.join(daemon.inDir, name)));
      const output = decodePnm(fs.readFileSync(path.join(daemon.outDir, name)));
      if (output.pixels.equals(Buffer.from(input.pixels.map((v) => 255 - v)))) inverted++;
      else if (maxDifference(output.pixels, referenceGrayscale(input)) <= 1) gray++;
      else throw new Error(`${name} is neither gray nor inverted`);
    }
    expect(gray).toBeGreaterThanOrEqual(200);
    expect(inverted).toBeGreaterThan(0);
    expect(gray + inverted).toBe(2000);
    const by = s.writtenBy as Record<string, number>;
    expect(by[`invert@${loaded.sha256.slice(0, 12)}`]).toBe(inverted);
    expect(Object.entries(by).find(([k]) => k.startsWith('grayscale@'))![1]).toBe(gray);
  });

  it('kills a stalled host with its watchdog and retries its tiles', async () => {
    const daemon = await start(['--deadline-ms', '100']);
    const names = writeGrid(daemon.inDir, 4, 50);
    const stalled = await daemon.request('stall', 'h1');
    expect(stalled.stalled).toEqual(['h1']);
    const pid = (await daemon.request('hosts')).find((h: any) => h.id === 'h1').pid;
    await daemon.request('feed', daemon.inDir);
    const s = await drainChecking(daemon, 30_000);
    expect(s.tiles).toMatchObject({ fed: 200, written: 200, quarantined: 0 });
    expect(s.errors['host-died']).toBeGreaterThan(0);
    const replaced = await waitForHost(daemon, 'h1', (h) => h.pid !== pid && h.state === 'ready');
    expect(replaced.restarts).toBe(1);
    expect(daemon.log()).toMatch(/host-stalled/);
    expectGray(daemon, names);
  });

  it('restarts a killed host with a new pid and says so', async () => {
    const daemon = await start();
    const before = (await daemon.request('hosts')).find((h: any) => h.id === 'h2');
    expect((await daemon.request('kill-algo', 'h2')).killed).toEqual(['h2']);
    const after = await waitForHost(
      daemon,
      'h2',
      (h) => h.pid !== before.pid && h.state === 'ready',
    );
    expect(after.restarts).toBe(1);
    expect(daemon.log()).toMatch(/host-restarted/);
    await expect(daemon.request('kill-algo', 'h9')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('says so when hosts die in a loop without doing work, and keeps going', async () => {
    const daemon = await start(['--http', '0']);
    // Hosts killed from outside (as by the OOM killer) before they answer any tile.
    let looping = false;
    for (let i = 0; i < 200 && !looping; i++) {
      for (const host of await daemon.request('hosts')) {
        if (host.state === 'ready') process.kill(host.pid, 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 20));
      looping = (await daemon.request('status')).crashLoop;
    }
    expect(looping).toBe(true);
    expect(daemon.log()).toMatch(/crash-loop/);
    expect(await fetchMetric(daemon, 'edgecam_crash_loop')).toBe(1);
    writeGrid(daemon.inDir, 1, 10);
    await daemon.request('feed', daemon.inDir);
    expect((await drainChecking(daemon, 30_000)).tiles.written).toBe(10);
  });

  it('does not count hosts killed on purpose as a crash loop', async () => {
    const daemon = await start();
    await daemon.request('kill-algo', 'every', '20ms', 'for', '600ms');
    await new Promise((r) => setTimeout(r, 800));
    const s = await daemon.request('status');
    expect(s.faults.injected['kill-algo']).toBeGreaterThan(10);
    expect(s.crashLoop).toBe(false);
    // Random among equally idle hosts: both were killed.
    expect(s.hosts.every((h: any) => h.restarts > 0)).toBe(true);
  });

  it('clears every fault at once, even under load', async () => {
    const daemon = await start();
    writeGrid(daemon.inDir, 2, 100);
    await daemon.request('delay', '200ms±50ms', 'execute', 'for', '1m');
    await daemon.request('drop', '50%', 'write');
    expect(await daemon.request('faults')).toHaveLength(2);
    await daemon.request('feed', daemon.inDir);
    await new Promise((r) => setTimeout(r, 100));
    const cleared = await daemon.request('faults', 'clear');
    const s = await daemon.request('status');
    expect(cleared.cleared).toBe(2);
    expect(s.tiles.inFlight).toBeGreaterThan(0);
    expect(s.faults.active).toEqual([]);
    expect((await drainChecking(daemon)).tiles.written).toBe(200);
  });

  it('lets a fault expire on its own', async () => {
    const daemon = await start();
    await daemon.request('drop', '5%', 'for', '200ms');
    expect(await daemon.request('faults')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await daemon.request('faults')).toEqual([]);
    expect(daemon.log()).toMatch(/fault-off.*expired/);
  });

  it('refuses malformed fault commands with their usage', async () => {
    const daemon = await start();
    await expect(daemon.request('drop', 'lots')).rejects.toMatchObject({
      message: "Expected a percentage from 0% to 100%, like 5% for drop but received 'lots'",
      hint: 'usage: drop P% [read|execute|write] [for DURATION] [seed N]',
    });
    await expect(daemon.request('delay', '10ms', 'sideways')).rejects.toMatchObject({
      message: "Expected read, queue, execute, write for delay stage but received 'sideways'",
    });
    await expect(daemon.request('delay', '99999999999s')).rejects.toMatchObject({
      message: "Expected a duration of at most 24h for delay but received '99999999999s'",
    });
    await expect(daemon.request('kill-algo', 'for', '5s')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(daemon.request('drop', '5%', 'for', 'ever')).rejects.toMatchObject({
      message: "Expected a duration like 500ms, 10s, 2m or 1h for drop for but received 'ever'",
    });
  });

  it('resumes after being killed: written tiles are not redone, temp files go, the rest are done', async () => {
    const first = await start();
    const names = writeGrid(first.inDir, 3, 100);
    await first.request('delay', '5ms', 'execute');
    await first.request('feed', first.inDir);
    for (
      let s = await first.request('status');
      s.tiles.written < 50;
      s = await first.request('status')
    ) {
      await new Promise((r) => setTimeout(r, 5));
    }
    first.process.kill('SIGKILL');
    await first.exited;
    const done = fs.readdirSync(first.outDir).filter((n) => !n.startsWith('.'));
    fs.writeFileSync(path.join(first.outDir, '.grid_r002_c099.ppm.edgecam-tmp'), 'half a tile');
    expect(done.length).toBeGreaterThanOrEqual(50);
    expect(done.length).toBeLessThan(300);

    const second = await start([], first.dir);
    const fed = await second.request('feed', second.inDir);
    expect(fed.skipped).toBe(done.length);
    expect(fed.accepted).toBe(300 - done.length);
    await drainChecking(second);
    expect(fs.readdirSync(second.outDir).sort()).toEqual([...names].sort());
    expectGray(second, names);
  });

  it('keeps feeding tiles that appear in a watched folder, with back-pressure shown as backlog', async () => {
    const daemon = await start();
    const camera = path.join(daemon.dir, 'camera');
    fs.mkdirSync(camera);
    await daemon.request('feed', '--watch', camera);
    await daemon.request('pause');

    const drop = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = `cam_r000_c${String(i).padStart(3, '0')}.ppm`;
        const temp = path.join(camera, `.${name}`);
        fs.writeFileSync(temp, encodePnm(syntheticImage(32, 32, 3, i)));
        fs.renameSync(temp, path.join(camera, name));
      }
    };
    drop(0, 30);
    let s = await daemon.request('status');
    for (let i = 0; i < 100 && s.tiles.fed < 30; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await daemon.request('status');
    }
    expect(s.tiles.fed).toBe(30);
    expect(s.backlog.tiles).toBe(30);
    expect(s.tiles.written).toBe(0);

    await daemon.request('resume');
    drop(30, 60);
    for (let i = 0; i < 250 && s.tiles.written < 60; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await daemon.request('status');
    }
    expect(s.tiles).toMatchObject({ fed: 60, written: 60 });
    expect(s.daemon.watching).toEqual([camera]);
  });
});
