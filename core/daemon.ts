// The daemon: owns the engine (slot pool + io_uring), the algorithm hosts and
// the pipeline between them, injects faults on request, and answers the
// control socket (and, if asked, TCP and HTTP).

import fs from 'node:fs';
import path from 'node:path';

import { DAEMON_COMMANDS, findCommand, type Request } from './commands.js';
import { claimSocketPath, ControlServer, type ControlClient } from './control-server.js';
import type { DaemonOptions } from './daemon-options.js';
import { EdgecamError, PluginError, SetupError, UsageError } from './errors.js';
import { FaultInjector, type FaultKind, type HostActions } from './faults.js';
import { FolderWatch } from './folder-watch.js';
import { HostPool } from './host-pool.js';
import { HttpServer } from './http-server.js';
import { Logger, type LogRecord } from './logger.js';
import { round3 } from './metrics.js';
import { loadNative, type Engine } from './native.js';
import { HOST_PATH } from './paths.js';
import { Pipeline, STAGES } from './pipeline.js';
import { PluginStore, type PreparedPlugin } from './plugin-store.js';
import { PrometheusText } from './prometheus.js';
import { listQuarantine, type QuarantineRecord } from './quarantine.js';
import { CAUSES } from './tile.js';

export const VERSION = '0.1.0';

/** Log events pushed to subscribers: what an operator watches happen. */
const PUSHED_EVENTS = new Set([
  'host-died',
  'host-restarted',
  'host-stalled',
  'host-restart-failed',
  'crash-loop',
  'fault-on',
  'fault-off',
  'fault-kill',
  'tile-quarantined',
  'plugin-loaded',
  'daemon-stopping',
  'auth-refused',
  'watch-started',
]);

/** Temporary names the engine writes before renaming (native/addon/temp-path.cc). */
const TEMP_FILE = /^\..+\.edgecam-tmp$/;

export class Daemon {
  readonly logger: Logger;
  private engine!: Engine;
  private pool!: HostPool;
  private pipeline!: Pipeline;
  private faults!: FaultInjector;
  private server!: ControlServer;
  private http?: HttpServer;
  private readonly watches = new Map<string, FolderWatch>();
  private readonly store: PluginStore;
  private readonly startedAt = Date.now();
  private stopping?: Promise<void>;
  private loading?: Promise<unknown>;
  private exitCallbacks: Array<() => void> = [];
  readonly listening: { tcpPort?: number; httpPort?: number } = {};

  constructor(
    readonly options: DaemonOptions,
    logger?: Logger,
  ) {
    this.logger = logger ?? new Logger(options.logLevel);
    this.store = new PluginStore(HOST_PATH, options.cacheDir);
  }

  async start(): Promise<void> {
    const o = this.options;
    if (!fs.existsSync(HOST_PATH)) {
      throw new SetupError(`the algorithm host is not built (${HOST_PATH})`, 'npm run setup');
    }
    const token = o.listen ? readToken(o.tokenFile) : undefined;
    // Refuse early, before any host starts, if another daemon owns the socket.
    await fs.promises.mkdir(path.dirname(o.socket), { recursive: true, mode: 0o700 });
    await claimSocketPath(o.socket);
    const native = loadNative();
    await fs.promises.mkdir(o.outDir, { recursive: true });
    this.removeTempFiles();

    this.engine = new native.Engine({ slots: o.slots, slotSize: o.slotSize, io: o.io });
    this.pool = new HostPool({
      count: o.hosts,
      hostPath: HOST_PATH,
      memfd: this.engine.memfd,
      slots: o.slots,
      slotSize: o.slotSize,
      deadlineMs: o.deadlineMs,
      memoryMb: o.memoryMb,
      depth: o.hostDepth,
      logger: this.logger,
    });
    this.faults = new FaultInjector(this.hostActions(), this.logger);
    this.pipeline = new Pipeline(
      this.engine,
      this.pool,
      this.faults,
      {
        outDir: o.outDir,
        quarantineDir: o.quarantineDir,
        slots: o.slots,
        format: o.format,
        maxAttempts: o.maxAttempts,
        batch: o.batch,
        callDeadlineMs: o.deadlineMs,
      },
      this.logger,
    );

    try {
      await this.loadPlugin(o.plugin, o.args);
      this.server = new ControlServer(
        o.socket,
        (request, client) => this.handle(request, client),
        this.logger,
      );
      await this.server.listen();
      if (o.listen)
        this.listening.tcpPort = await this.server.listenTcp(o.listen.host, o.listen.port, token!);
      if (o.http) {
        this.http = new HttpServer(
          { metrics: () => this.metrics(), status: () => this.status() },
          this.logger,
        );
        this.listening.httpPort = (await this.http.listen(o.http.host, o.http.port)).port;
      }
    } catch (error) {
      await this.pool.stop();
      await this.server?.close();
      this.pipeline.close();
      this.engine.close();
      throw error;
    }

    const also = [
      this.listening.tcpPort && `tcp ${o.listen!.host}:${this.listening.tcpPort}`,
      this.listening.httpPort && `http://${o.http!.host}:${this.listening.httpPort}/metrics`,
    ].filter(Boolean);
    this.logger.info('daemon-started', `listening on ${[o.socket, ...also].join(', ')}`, {
      pid: process.pid,
      socket: o.socket,
      hosts: o.hosts,
      io: this.engine.info(),
      ...this.listening,
    });
    if (o.inDir) this.feed([o.inDir]);
  }

  /** Registers a callback for when the daemon has stopped (after `stop`). */
  onExit(callback: () => void): void {
    this.exitCallbacks.push(callback);
  }

  /** Drains tiles in flight, stops hosts, removes the socket. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('daemon-stopping', `draining ${this.pipeline.inFlight} tiles (${reason})`);
      for (const watch of this.watches.values()) watch.stop();
      this.faults.clear();
      this.pipeline.setPaused(false);
      await this.pipeline.drain();
      await this.pool.stop();
      await this.server?.close();
      await this.http?.close();
      this.pipeline.close();
      this.engine.close();
      this.logger.info('daemon-stopped', 'all tiles drained, hosts stopped', this.tileCounts());
      this.exitCallbacks.forEach((callback) => callback());
    })();
    return this.stopping;
  }

  async handle(request: Request, client: ControlClient): Promise<unknown> {
    const { cmd, args } = request;
    switch (cmd) {
      case 'status':
        return this.status();
      case 'hosts':
        return this.hosts();
      case 'plugins':
        return this.store.list();
      case 'load':
        if (args.length === 0) throw usage('load', 'a plugin name', undefined);
        return this.load(args[0], args.slice(1));
      case 'reload-algo':
        return this.reload();
      case 'feed':
        return this.feedCommand(args);
      case 'pause':
      case 'resume':
        this.pipeline.setPaused(cmd === 'pause');
        this.logger.info(
          cmd === 'pause' ? 'paused' : 'resumed',
          `reading ${cmd === 'pause' ? 'paused' : 'resumed'}`,
        );
        return { paused: this.pipeline.paused };
      case 'kill-algo':
      case 'drop':
      case 'delay':
      case 'stall':
        return this.faults.add(cmd as FaultKind, args);
      case 'faults':
        if (args[0] === 'clear' && args.length <= 2) {
          return {
            cleared: this.faults.clear(args[1] === undefined ? undefined : Number(args[1])),
          };
        }
        if (args.length) throw usage('faults', 'nothing, `clear` or `clear ID`', args.join(' '));
        return this.faults.list();
      case 'quarantine':
        return this.quarantine(args);
      case 'subscribe':
        return this.subscribe(client, args);
      case 'unsubscribe':
        (client as ControlClient & { unsubscribe?: () => void }).unsubscribe?.();
        return { subscribed: false };
      case 'drain':
        await this.pipeline.drain();
        return this.tileCounts();
      case 'stop':
        if (this.stopping) return { stopping: true };
        setImmediate(() => void this.stop('stop command'));
        return { stopping: true, inFlight: this.pipeline.inFlight };
      case 'help':
        return args[0] ? (findCommand(args[0]) ?? unknown(args[0])) : DAEMON_COMMANDS;
      default:
        return unknown(cmd);
    }
  }

  private async load(plugin: string, words: string[]): Promise<unknown> {
    const args = words.map((word) => {
      const n = Number(word);
      if (!Number.isFinite(n)) throw usage('load', 'numeric plugin arguments', word);
      return n;
    });
    if (this.stopping) {
      throw new EdgecamError('STOPPING', 'the daemon is stopping and loads no plugin');
    }
    if (this.loading) {
      throw new EdgecamError('BUSY', 'another load is in progress', 'wait for it, then try again');
    }
    this.loading = this.loadPlugin(plugin, args);
    try {
      return await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  private async reload(): Promise<unknown> {
    const current = this.pool.current!.plugin;
    const before = current.sha256;
    const result = (await this.load(current.path, current.args.map(String))) as { sha256: string };
    return { ...result, changed: result.sha256 !== before };
  }

  /**
   * Compiles the plugin and warms its hosts before any tile is routed to
   * them; until then the old hosts keep working. A plugin that fails to
   * compile or start is refused and the old one keeps running.
   */
  private async loadPlugin(name: string, args: number[]) {
    const started = performance.now();
    const prepared = await this.store.prepare(name, args);
    const generation = await this.pool.start(prepared).catch((error: Error) => {
      throw new PluginError(
        'PLUGIN_REFUSED',
        `Plugin ${prepared.path} compiled but its hosts could not start it: ${error.message}`,
        'check its exports and edgecam_alloc against docs/plugins.md; the running plugin is kept',
      );
    });
    const summary = {
      plugin: prepared.name,
      path: prepared.path,
      sha256: prepared.sha256,
      args: prepared.args,
      compiled: prepared.fromCache ? 'from cache' : `in ${prepared.compileMs} ms`,
      swapMs: Math.round(performance.now() - started),
      hosts: generation.hosts.map((h) => ({ id: h.id, pid: h.pid, loadUs: h.loadUs })),
    };
    this.logger.info(
      'plugin-loaded',
      `${prepared.name} on ${generation.hosts.length} hosts`,
      summary,
    );
    this.pipeline.schedulePump();
    return summary;
  }

  private feedCommand(args: string[]): unknown {
    const force = args.includes('--force');
    const watch = args.includes('--watch');
    const paths = args.filter((a) => a !== '--force' && a !== '--watch');
    if (paths.length === 0) throw usage('feed', 'one or more paths', undefined);
    if (!watch) return this.feed(paths, force);

    const started: string[] = [];
    for (const given of paths) {
      const dir = path.resolve(given);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new EdgecamError(
          'NOT_FOUND',
          `no such folder to watch: ${dir}`,
          'create it first, or check the path',
        );
      }
      if (this.watches.has(dir)) continue;
      const folderWatch = new FolderWatch(
        dir,
        (d) => listTiles(d).files,
        (files) => {
          if (!this.stopping) this.pipeline.feed(files);
        },
      );
      folderWatch.start();
      this.watches.set(dir, folderWatch);
      this.logger.info('watch-started', `feeding new tiles from ${dir}`, { dir });
      started.push(dir);
    }
    return { watching: [...this.watches.keys()], started };
  }

  feed(paths: string[], force = false) {
    if (this.stopping) {
      throw new EdgecamError('STOPPING', 'the daemon is stopping and takes no more tiles');
    }
    const files: string[] = [];
    const ignored: string[] = [];
    for (const given of paths) {
      const target = path.resolve(given);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(target);
      } catch (error) {
        const loop = (error as NodeJS.ErrnoException).code === 'ELOOP';
        throw new EdgecamError(
          loop ? 'ELOOP' : 'NOT_FOUND',
          loop ? `${target} is a loop of symbolic links` : `no such file or folder: ${target}`,
          'check the path',
        );
      }
      if (stat.isDirectory()) {
        const listed = listTiles(target);
        files.push(...listed.files);
        ignored.push(...listed.ignored);
      } else if (stat.isFile()) {
        files.push(target);
      } else {
        throw new EdgecamError(
          'NOT_A_TILE',
          `${target} is not a regular file (a FIFO, device or socket never holds a tile)`,
          'feed tile files or folders of them',
        );
      }
    }
    const result = this.pipeline.feed(files, force);
    this.logger.info('tiles-fed', `${result.accepted} tiles fed`, { ...result, paths });
    const hint =
      result.skipped > 0
        ? `${result.skipped} skipped: their outputs are already written and newer; feed --force redoes them`
        : undefined;
    if (result.conflicts.length) {
      this.logger.warn(
        'feed-conflict',
        `${result.conflicts.length} tiles refused: same name as a tile in flight`,
        {
          first: result.conflicts[0],
        },
      );
    }
    if (ignored.length) {
      this.logger.warn('feed-ignored', `${ignored.length} entries are not tile files`, {
        first: ignored.slice(0, 5),
      });
    }
    return {
      ...result,
      files: files.length,
      ...(ignored.length ? { ignored } : {}),
      ...(hint ? { hint } : {}),
    };
  }

  private async quarantine(args: string[]): Promise<unknown> {
    const [action = 'list', name] = args;
    const records = await listQuarantine(this.options.quarantineDir);
    if (action === 'list') return records;
    if (action !== 'show' && action !== 'retry') {
      throw usage('quarantine', 'list, show NAME or retry NAME|all', action);
    }
    if (!name) throw usage(`quarantine ${action}`, 'a tile name', undefined);
    const chosen =
      name === 'all' && action === 'retry' ? records : records.filter((r) => r.tile === name);
    if (chosen.length === 0) {
      throw new EdgecamError(
        'NOT_FOUND',
        `no quarantined tile named ${name}`,
        '`quarantine list` shows them',
      );
    }
    if (action === 'show') return chosen[0];
    return { retried: this.retry(chosen) };
  }

  /**
   * Feeds quarantined tiles again and clears their records: from the
   * original file if it is still there (the copy is deleted), else from the
   * copy, moved to .retry/ and deleted once the tile is written.
   */
  private retry(records: QuarantineRecord[]): number {
    const dir = this.options.quarantineDir;
    const files: string[] = [];
    for (const record of records) {
      const copy = path.join(dir, record.tile);
      if (fs.existsSync(record.source)) {
        files.push(record.source);
        fs.rmSync(copy, { force: true });
      } else if (fs.existsSync(copy)) {
        const retrying = path.join(dir, '.retry', record.tile);
        fs.mkdirSync(path.dirname(retrying), { recursive: true });
        fs.renameSync(copy, retrying);
        files.push(retrying);
        this.pipeline.removeWhenWritten(retrying);
      }
      fs.rmSync(path.join(dir, `${record.tile}.json`), { force: true });
    }
    return this.pipeline.feed(files, true).accepted;
  }

  private subscribe(client: ControlClient, args: string[]): unknown {
    const interval = args[0] === undefined ? 1000 : Number(args[0]);
    if (!Number.isInteger(interval) || interval < 100 || interval > 60_000) {
      throw usage('subscribe', 'an interval in ms, 100..60000', args[0]);
    }
    const holder = client as ControlClient & { unsubscribe?: () => void };
    holder.unsubscribe?.();

    // Pushes to a client that reads slower than they come are skipped, not queued.
    const timer = setInterval(() => {
      if (!client.congested) client.send({ event: 'metrics', data: this.status() });
    }, interval);
    const forward = (record: LogRecord) => {
      if (PUSHED_EVENTS.has(record.event) && !client.congested) {
        client.send({ event: 'log', data: record });
      }
    };
    const stopLog = this.logger.subscribe(forward);
    holder.unsubscribe = () => {
      clearInterval(timer);
      stopLog();
      holder.unsubscribe = undefined;
    };
    client.onClose(() => holder.unsubscribe?.());
    setImmediate(() => client.send({ event: 'metrics', data: this.status() }));
    return { subscribed: true, intervalMs: interval };
  }

  private hostActions(): HostActions {
    const find = (target: string | undefined, verb: string) => {
      const hosts = (this.pool.current?.hosts ?? []).filter((h) => h.state === 'ready');
      if (target === 'all') return hosts;
      if (target === undefined) {
        // The busiest; among equals a random one, so an idle pool is not always h1.
        const most = Math.max(...hosts.map((h) => h.inFlight.size));
        const busiest = hosts.filter((h) => h.inFlight.size === most);
        return busiest.length ? [busiest[Math.floor(Math.random() * busiest.length)]] : [];
      }
      const host = hosts.find((h) => h.id === target);
      if (!host) {
        const ids = (this.pool.current?.hosts ?? []).map((h) => h.id).join(', ');
        throw new UsageError(`${verb} host`, `one of ${ids} (running)`, target);
      }
      return [host];
    };
    return {
      kill: (target) =>
        find(target, 'kill-algo').map((h) => {
          h.killedOnPurpose = true;
          h.kill('SIGKILL');
          return h.id;
        }),
      stop: (target) =>
        find(target, 'stall').map((h) => {
          h.killedOnPurpose = true;
          h.kill('SIGSTOP');
          return h.id;
        }),
      resume: (ids) => {
        for (const host of this.pool.all()) if (ids.includes(host.id)) host.kill('SIGCONT');
      },
    };
  }

  /** Temp files of writes cut short by a crash: never whole tiles, always safe to delete. */
  private removeTempFiles(): void {
    const stale = fs.readdirSync(this.options.outDir).filter((n) => TEMP_FILE.test(n));
    for (const name of stale) fs.rmSync(path.join(this.options.outDir, name), { force: true });
    if (stale.length) {
      this.logger.info('temp-files-removed', `removed ${stale.length} partial writes`, {
        dir: this.options.outDir,
      });
    }
  }

  private quarantineRecords(): number {
    try {
      return fs.readdirSync(this.options.quarantineDir).filter((n) => n.endsWith('.json')).length;
    } catch {
      return 0; // no folder yet: nothing was ever quarantined
    }
  }

  tileCounts() {
    const p = this.pipeline;
    return { fed: p.fed, written: p.written, quarantined: p.quarantined, inFlight: p.inFlight };
  }

  hosts() {
    const plugin = this.pool.current?.plugin;
    return this.pool.all().map((h) => ({
      id: h.id,
      pid: h.pid,
      state: h.state,
      plugin: this.pool.current?.hosts.includes(h) ? plugin?.name : 'previous',
      tiles: h.tiles,
      inFlight: h.inFlight.size,
      restarts: this.pool.restartsOf(h),
      renewals: h.renewals,
      memoryBytes: h.memoryBytes,
      lastExecMs: round3(h.lastExecUs / 1000),
    }));
  }

  status() {
    const p = this.pipeline;
    const io = this.engine.stats();
    const info = this.engine.info();
    const outRate = p.rateOut.perSecond();
    const plugin: PreparedPlugin | undefined = this.pool.current?.plugin;
    return {
      daemon: {
        pid: process.pid,
        version: VERSION,
        socket: this.options.socket,
        uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
        stopping: Boolean(this.stopping),
        paused: p.paused,
        watching: [...this.watches.keys()],
        listening: {
          tcp: this.listening.tcpPort
            ? `${this.options.listen!.host}:${this.listening.tcpPort}`
            : undefined,
          http: this.listening.httpPort
            ? `${this.options.http!.host}:${this.listening.httpPort}`
            : undefined,
        },
      },
      plugin: plugin && { name: plugin.name, sha256: plugin.sha256, args: plugin.args },
      tiles: { ...this.tileCounts(), retries: p.retries, skipped: p.skipped },
      // Records on disk now (retries remove them); tiles.quarantined counts since start.
      quarantine: { records: this.quarantineRecords(), dir: this.options.quarantineDir },
      writtenBy: Object.fromEntries(p.writtenBy),
      rates: { inPerS: round3(p.rateIn.perSecond()), outPerS: round3(outRate) },
      series: { inPerS: p.rateIn.series(60), outPerS: p.rateOut.series(60) },
      latencyMs: Object.fromEntries(STAGES.map((s) => [s, p.latency[s].percentiles()])),
      recentLatencyMs: Object.fromEntries(
        STAGES.map((s) => [s, p.recent[s].snapshot().percentiles()]),
      ),
      backlog: {
        tiles: p.backlog,
        seconds:
          outRate > 0 ? Math.round((10 * p.backlog) / outRate) / 10 : p.backlog > 0 ? null : 0,
        freeSlots: p.freeSlotCount,
        slots: this.options.slots,
      },
      errors: { ...p.errors },
      hostRestarts: this.pool.restarts,
      restartMs: this.pool.restartLatency.percentiles(),
      recoveryMs: p.recovery.percentiles(),
      crashLoop: this.pool.crashLoop,
      faults: { active: this.faults.list(), injected: { ...this.faults.injectedTotal } },
      hosts: this.hosts(),
      io: {
        ...info,
        ...io,
        entersPerTile: round3(io.enters / Math.max(1, p.written + p.quarantined)),
      },
    };
  }

  /** The same figures as status, in Prometheus text format. */
  metrics(): string {
    const p = this.pipeline;
    const io = this.engine.stats();
    const text = new PrometheusText()
      .counter('edgecam_tiles_fed_total', 'Tiles taken into the pipeline.', p.fed)
      .counter('edgecam_tiles_written_total', 'Tiles processed and written.', p.written)
      .counter(
        'edgecam_tiles_quarantined_total',
        'Tiles given up on, with a record why.',
        p.quarantined,
      )
      .counter(
        'edgecam_tiles_skipped_total',
        'Tiles fed whose output was already written.',
        p.skipped,
      )
      .counter('edgecam_retries_total', 'Attempts repeated after a failure.', p.retries)
      .gauge('edgecam_tiles_in_flight', 'Tiles fed and not yet written or quarantined.', p.inFlight)
      .gauge('edgecam_backlog_tiles', 'Tiles waiting for a slot or a host.', p.backlog)
      .gauge('edgecam_free_slots', 'Slots free in the pool.', p.freeSlotCount)
      .counter(
        'edgecam_host_restarts_total',
        'Algorithm hosts restarted after dying.',
        this.pool.restarts,
      )
      .gauge(
        'edgecam_hosts',
        'Algorithm hosts of the current plugin.',
        this.pool.current?.hosts.length ?? 0,
      )
      .gauge(
        'edgecam_crash_loop',
        '1 while hosts keep dying without doing work.',
        this.pool.crashLoop ? 1 : 0,
      );
    for (const host of this.pool.current?.hosts ?? []) {
      const labels = { host: host.id };
      text.counter('edgecam_host_tiles_total', 'Tiles answered, by host seat.', host.tiles, labels);
      text.counter(
        'edgecam_host_seat_restarts_total',
        'Restarts, by host seat.',
        this.pool.restartsOf(host),
        labels,
      );
    }
    const outRate = p.rateOut.perSecond();
    text.gauge(
      'edgecam_backlog_seconds',
      'Backlog divided by the output rate.',
      outRate > 0 ? p.backlog / outRate : 0,
    );
    for (const cause of CAUSES) {
      text.counter('edgecam_errors_total', 'Failed attempts by cause.', p.errors[cause], {
        kind: cause,
      });
    }
    for (const [kind, n] of Object.entries(this.faults.injectedTotal)) {
      text.counter('edgecam_faults_injected_total', 'Faults injected, by kind.', n, { kind });
    }
    for (const stage of STAGES) {
      const name = stage === 'endToEnd' ? 'end_to_end' : stage;
      text.histogram('edgecam_tile_latency_seconds', 'Tile latency by stage.', p.latency[stage], {
        stage: name,
      });
    }
    text
      .counter('edgecam_io_uring_enters_total', 'io_uring_enter calls.', io.enters)
      .counter('edgecam_io_submissions_total', 'Operations submitted to the ring.', io.submissions)
      .counter('edgecam_io_completions_total', 'Completions reaped from the ring.', io.completions)
      .counter('edgecam_io_read_bytes_total', 'Bytes read from tile files.', io.bytesRead)
      .counter('edgecam_io_written_bytes_total', 'Bytes written to output files.', io.bytesWritten)
      .counter('edgecam_io_errors_total', 'Failed file operations.', io.errors);
    return text.toString();
  }
}

/** Tile files in a folder, sorted; dot-files (partial writes) and manifests left out. */
/**
 * Tile files in a folder, sorted, and what was left out and why. Dot-files
 * (partial writes) and manifests are skipped quietly; folders, FIFOs,
 * devices, sockets and broken or looping links are reported. A symbolic
 * link to a regular file is taken (one stat for links only).
 *
 * Rule: only regular files are read. Reason: opening a FIFO blocks until a
 * writer comes, and would hold the ring's worker and every tile behind it.
 */
export function listTiles(dir: string): { files: string[]; ignored: string[] } {
  const files: string[] = [];
  const ignored: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.endsWith('.json')) continue;
    const file = path.join(dir, entry.name);
    let regular = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        regular = fs.statSync(file).isFile();
      } catch {
        regular = false;
      }
    }
    if (regular) files.push(file);
    else ignored.push(`${entry.name} (${describeEntry(entry)})`);
  }
  return { files: files.sort(), ignored: ignored.sort() };
}

function describeEntry(entry: fs.Dirent): string {
  if (entry.isDirectory()) return 'a folder';
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  if (entry.isSymbolicLink()) return 'a link to no regular file';
  return 'a device';
}

function readToken(file: string | undefined): string {
  const token = file ? firstLine(file) : process.env.EDGECAM_TOKEN;
  if (file && !token) {
    throw new EdgecamError('TOKEN_FILE', `the token file ${file} is empty`, TOKEN_HINT);
  }
  if (!token || token.length < 16) {
    throw new UsageError(
      '--listen',
      'a token of at least 16 characters in --token-file FILE or $EDGECAM_TOKEN',
      token ? `${token.length} characters` : 'none',
      TOKEN_HINT,
    );
  }
  return token;
}

const TOKEN_HINT = 'make one: head -c 24 /dev/urandom | base64 > token && chmod 600 token';

function firstLine(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[0].trim();
  } catch (error) {
    throw new EdgecamError(
      'TOKEN_FILE',
      `cannot read the token file ${file}: ${(error as Error).message}`,
    );
  }
}

function usage(cmd: string, expected: string, received: unknown): UsageError {
  return new UsageError(cmd, expected, received, findCommand(cmd)?.usage);
}

function unknown(cmd: string): never {
  throw new EdgecamError(
    'UNKNOWN_COMMAND',
    `unknown command '${cmd}'`,
    `commands: ${DAEMON_COMMANDS.map((c) => c.name).join(', ')}`,
  );
}
