// The control server against garbage, many clients, vanishing clients and
// wrong tokens, while tiles flow; and the HTTP metrics checked with
// Prometheus' own text-format parser.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { CLI, cleanup, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { encodePnm, syntheticImage } from './helpers/pnm.js';
import { uringSkipReason } from './helpers/uring.js';

let daemon: TestDaemon | undefined;
afterEach(() => {
  cleanup(daemon);
  daemon = undefined;
});

/** A raw client: writes bytes, collects answer lines until the socket closes or `count` arrive. */
function rawExchange(
  connect: () => net.Socket,
  payload: Buffer | string,
  count = 1,
): Promise<{ answers: any[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect();
    const answers: any[] = [];
    let text = '';
    let closed = false;
    const finish = () => {
      socket.destroy();
      resolve({ answers, closed });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        answers.push(JSON.parse(text.slice(0, nl)));
        text = text.slice(nl + 1);
      }
      if (answers.length >= count) setTimeout(finish, 50);
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    socket.write(payload);
  });
}

function writeTiles(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(
      path.join(dir, `t${String(i).padStart(4, '0')}.ppm`),
      encodePnm(syntheticImage(32, 32, 3, i + 1)),
    );
  }
}

describe.skipIf(uringSkipReason())('control protocol', () => {
  it('answers garbage with clear errors while the pipeline never notices', async () => {
    daemon = await startDaemon();
    writeTiles(daemon.inDir, 500);
    await daemon.request('feed', daemon.inDir);
    const unix = () => net.connect(daemon!.socket);

    const badJson = await rawExchange(unix, '{"cmd": "status"\n');
    expect(badJson.answers[0]).toMatchObject({ ok: false, error: { code: 'BAD_JSON' } });
    expect(badJson.answers[0].error.hint).toMatch(/one JSON object per line/);

    const notObject = await rawExchange(unix, '[1,2,3]\n');
    expect(notObject.answers[0].error).toMatchObject({ code: 'USAGE' });

    const unknownCommand = await rawExchange(unix, '{"id":5,"cmd":"launch-missiles"}\n');
    expect(unknownCommand.answers[0]).toMatchObject({
      id: 5,
      ok: false,
      error: { code: 'UNKNOWN_COMMAND' },
    });
    expect(unknownCommand.answers[0].error.hint).toMatch(/commands: status, hosts/);

    const badArgs = await rawExchange(unix, '{"id":9,"cmd":"feed","args":[1,2]}\n');
    expect(badArgs.answers[0].error.message).toBe(
      'Expected an array of strings for args but received [1,2]',
    );
    expect(badArgs.answers[0].id).toBe(9);

    const invalidUtf8 = await rawExchange(unix, Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x0a]));
    expect(invalidUtf8.answers[0].error.code).toBe('BAD_JSON');

    const huge = await rawExchange(unix, Buffer.alloc(2 * 1024 * 1024, 0x61));
    expect(huge.answers[0].error.code).toBe('LINE_TOO_LONG');
    expect(huge.closed).toBe(true);

    // A client that goes away mid-line, and one mid-request.
    const vanishing = unix();
    vanishing.write('{"cmd":"sta');
    vanishing.destroy();
    const leaving = unix();
    leaving.write('{"cmd":"drain"}\n');
    leaving.destroy();

    // Many clients at once, each answered.
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => rawExchange(unix, `{"id":${i},"line":"help feed"}\n`)),
    );
    many.forEach((m, i) =>
      expect(m.answers[0]).toMatchObject({ id: i, ok: true, result: { name: 'feed' } }),
    );

    const s = await daemon.drained();
    expect(s.tiles).toMatchObject({ fed: 500, written: 500, quarantined: 0 });
  });

  it('pushes metrics and events to a subscriber without polling', async () => {
    daemon = await startDaemon();
    const socket = net.connect(daemon.socket);
    const pushed: any[] = [];
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        pushed.push(JSON.parse(text.slice(0, nl)));
        text = text.slice(nl + 1);
      }
    });
    socket.write('{"id":1,"cmd":"subscribe","args":["200"]}\n');
    const until = async (predicate: () => boolean) => {
      for (let i = 0; i < 250 && !predicate(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(predicate()).toBe(true);
    };
    await until(() => pushed.some((m) => m.id === 1));
    expect(pushed.find((m) => m.id === 1)).toEqual({
      id: 1,
      ok: true,
      result: { subscribed: true, intervalMs: 200 },
    });

    writeTiles(daemon.inDir, 20);
    await daemon.request('feed', daemon.inDir);
    await daemon.request('drop', '1%', 'for', '100ms');
    await daemon.request('kill-algo', 'h1');
    const event = (name: string) => pushed.some((m) => m.event === 'log' && m.data.event === name);
    await until(
      () =>
        event('fault-on') && event('fault-off') && event('host-died') && event('host-restarted'),
    );
    await until(() => pushed.some((m) => m.event === 'metrics' && m.data.tiles.written === 20));
    const metrics = pushed.filter((m) => m.event === 'metrics');
    expect(metrics.length).toBeGreaterThanOrEqual(2);
    expect(metrics.at(-1).data.hostRestarts).toBe(1);

    socket.write('{"id":2,"cmd":"unsubscribe"}\n');
    await until(() => pushed.some((m) => m.id === 2));
    const count = pushed.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(pushed.length).toBe(count);
    socket.destroy();
  });

  it('takes TCP clients only with the right token, on loopback by default', async () => {
    const tokenFile = path.join(fs.mkdtempSync('/tmp/edgecam-token-'), 'token');
    fs.writeFileSync(tokenFile, 'correct-horse-battery-staple\n', { mode: 0o600 });
    daemon = await startDaemon(['--listen', '0', '--token-file', tokenFile]);
    const status = await daemon.request('status');
    expect(status.daemon.listening.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = Number(status.daemon.listening.tcp.split(':')[1]);
    const tcp = () => net.connect(port, '127.0.0.1');

    const good = await rawExchange(
      tcp,
      '{"auth":"correct-horse-battery-staple"}\n{"id":1,"cmd":"hosts"}\n',
      2,
    );
    expect(good.answers[0]).toEqual({ ok: true, result: { authenticated: true } });
    expect(good.answers[1]).toMatchObject({ id: 1, ok: true });
    expect(good.answers[1].result).toHaveLength(2);

    const wrong = await rawExchange(
      tcp,
      '{"auth":"correct-horse-battery-stapler"}\n{"cmd":"stop"}\n',
      2,
    );
    expect(wrong.answers).toHaveLength(1);
    expect(wrong.answers[0].error.code).toBe('AUTH');
    expect(wrong.closed).toBe(true);

    const none = await rawExchange(tcp, '{"cmd":"stop"}\n', 2);
    expect(none.answers[0].error.code).toBe('AUTH');
    expect(none.closed).toBe(true);

    expect(daemon.log()).toMatch(/auth-refused/);
    // The refused `stop`s did nothing.
    expect((await daemon.request('status')).daemon.stopping).toBe(false);
  });

  it('refuses a token on the command line, where ps would show it', () => {
    const run = spawnSync(
      process.execPath,
      [CLI, 'daemon', '--listen', '7070', '--token', 'secret'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--token-file|EDGECAM_TOKEN/);
  });

  it('serves /metrics that Prometheus parses, and /status as JSON', async () => {
    daemon = await startDaemon(['--http', '0']);
    writeTiles(daemon.inDir, 40);
    await daemon.request('feed', daemon.inDir);
    const s = await daemon.drained();
    const http = s.daemon.listening.http as string;
    expect(http).toMatch(/^127\.0\.0\.1:\d+$/);

    const metrics = await fetch(`http://${http}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    const parsed = spawnSync('/usr/bin/python3', ['-c', PARSE], { input: text, encoding: 'utf8' });
    expect(parsed.status, parsed.stderr).toBe(0);
    const families = JSON.parse(parsed.stdout) as Record<
      string,
      { type: string; samples: [string, Record<string, string>, number][] }
    >;

    const value = (family: string, sample: string, labels: Record<string, string> = {}) =>
      families[family].samples.find(
        ([n, l]) => n === sample && Object.entries(labels).every(([k, v]) => l[k] === v),
      )?.[2];
    expect(families.edgecam_tiles_written.type).toBe('counter');
    expect(value('edgecam_tiles_written', 'edgecam_tiles_written_total')).toBe(40);
    expect(value('edgecam_tiles_fed', 'edgecam_tiles_fed_total')).toBe(40);
    expect(value('edgecam_errors', 'edgecam_errors_total', { kind: 'timeout' })).toBe(0);
    expect(families.edgecam_tile_latency_seconds.type).toBe('histogram');
    for (const stage of ['read', 'queue', 'execute', 'write', 'end_to_end']) {
      const buckets = families.edgecam_tile_latency_seconds.samples
        .filter(([n, l]) => n === 'edgecam_tile_latency_seconds_bucket' && l.stage === stage)
        .map(([, , v]) => v);
      expect(buckets.length).toBe(17);
      expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
      expect(buckets.at(-1)).toBe(40);
      expect(
        value('edgecam_tile_latency_seconds', 'edgecam_tile_latency_seconds_count', { stage }),
      ).toBe(40);
    }

    const status = await (await fetch(`http://${http}/status`)).json();
    expect(status.tiles).toMatchObject({ fed: 40, written: 40 });
    expect((await fetch(`http://${http}/nothing`)).status).toBe(404);
  });
});

/** Prometheus' reference parser (Debian's python3-prometheus-client). */
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {"type": family.type, "samples": [[s.name, s.labels, s.value] for s in family.samples]}
print(json.dumps(out))
`;
