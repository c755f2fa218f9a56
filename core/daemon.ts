// The daemon: owns the engine (slot pool + io_uring), the algorithm hosts and
// the pipeline between them, and answers the control socket.

import fs from 'node:fs';
import path from 'node:path';

import { DAEMON_COMMANDS, findCommand, type Request } from './commands.js';
import { ControlServer, type ControlClient } from './control-server.js';
import type { DaemonOptions } from './daemon-options.js';
import { EdgecamError, SetupError, UsageError } from './errors.js';
import { HostPool } from './host-pool.js';
import { Logger } from './logger.js';
import { loadNative, type Engine } from './native.js';
import { HOST_PATH } from './paths.js';
import { Pipeline, STAGES } from './pipeline.js';
import { PluginStore } from './plugin-store.js';
import { listQuarantine } from './quarantine.js';
import { round3 } from './metrics.js';

export const VERSION = '0.1.0';

export class Daemon {
  readonly logger: Logger;
  private engine!: Engine;
  private pool!: HostPool;
  private pipeline!: Pipeline;
  private server!: ControlServer;
  private readonly store: PluginStore;
  private readonly startedAt = Date.now();
  private stopping?: Promise<void>;
  private loading?: Promise<unknown>;
  private exitCallbacks: Array<() => void> = [];

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
    const native = loadNative();
    await fs.promises.mkdir(o.outDir, { recursive: true });

    this.engine = new native.Engine({ slots: o.slots, slotSize: o.slotSize, io: o.io });
    this.pool = new HostPool({
      count: o.hosts,
      hostPath: HOST_PATH,
      memfd: this.engine.memfd,
      slots: o.slots,
      slotSize: o.slotSize,
      deadlineMs: o.deadlineMs,
      memoryMb: o.memoryMb,
      depth: 2,
      logger: this.logger,
    });
    this.pipeline = new Pipeline(
      this.engine,
      this.pool,
      {
        outDir: o.outDir,
        quarantineDir: o.quarantineDir,
        slots: o.slots,
        format: o.format,
        maxAttempts: o.maxAttempts,
        batch: o.batch,
      },
      this.logger,
    );

    try {
      await this.loadPlugin(o.plugin, o.args);
      this.server = new ControlServer(o.socket, (request, client) => this.handle(request, client), this.logger);
      await this.server.listen();
    } catch (error) {
      await this.pool.stop();
      this.engine.close();
      throw error;
    }

    this.logger.info('daemon-started', `listening on ${o.socket}`, {
      pid: process.pid,
      socket: o.socket,
      hosts: o.hosts,
      io: this.engine.info(),
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
      await this.pipeline.drain();
      await this.pool.stop();
      await this.server?.close();
      this.engine.close();
      this.logger.info('daemon-stopped', 'all tiles drained, hosts stopped', this.tileCounts());
      this.exitCallbacks.forEach((callback) => callback());
    })();
    return this.stopping;
  }

  async handle(request: Request, _client: ControlClient): Promise<unknown> {
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
      case 'feed':
        if (args.length === 0) throw usage('feed', 'one or more paths', undefined);
        return this.feed(args);
      case 'quarantine':
        return listQuarantine(this.options.quarantineDir);
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

  private async loadPlugin(name: string, args: number[]) {
    const prepared = await this.store.prepare(name, args);
    const generation = await this.pool.start(prepared);
    const summary = {
      plugin: prepared.name,
      sha256: prepared.sha256,
      args: prepared.args,
      compiled: prepared.fromCache ? 'from cache' : `in ${prepared.compileMs} ms`,
      hosts: generation.hosts.map((h) => ({ id: h.id, pid: h.pid, loadUs: h.loadUs })),
    };
    this.logger.info('plugin-loaded', `${prepared.name} on ${generation.hosts.length} hosts`, summary);
    this.pipeline.schedulePump();
    return summary;
  }

  feed(paths: string[]): { accepted: number; duplicates: number; files: number } {
    if (this.stopping) {
      throw new EdgecamError('STOPPING', 'the daemon is stopping and takes no more tiles');
    }
    const files: string[] = [];
    for (const given of paths) {
      const target = path.resolve(given);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(target);
      } catch {
        throw new EdgecamError('NOT_FOUND', `no such file or folder: ${target}`, 'check the path');
      }
      if (stat.isDirectory()) {
        const names = fs
          .readdirSync(target)
          .filter((n) => !n.startsWith('.') && !n.endsWith('.json'))
          .sort();
        for (const name of names) {
          if (fs.statSync(path.join(target, name)).isFile()) files.push(path.join(target, name));
        }
      } else {
        files.push(target);
      }
    }
    const result = this.pipeline.feed(files);
    this.logger.info('tiles-fed', `${result.accepted} tiles fed`, { ...result, paths });
    return { ...result, files: files.length };
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
    const plugin = this.pool.current?.plugin;
    const tilesThroughIo = Math.max(1, io.tilesRead + io.tilesWritten);
    return {
      daemon: {
        pid: process.pid,
        version: VERSION,
        socket: this.options.socket,
        uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
        stopping: Boolean(this.stopping),
      },
      plugin: plugin && { name: plugin.name, sha256: plugin.sha256, args: plugin.args },
      tiles: { ...this.tileCounts(), retries: p.retries },
      rates: { inPerS: round3(p.rateIn.perSecond()), outPerS: round3(outRate) },
      latencyMs: Object.fromEntries(STAGES.map((s) => [s, p.latency[s].percentiles()])),
      recentLatencyMs: Object.fromEntries(STAGES.map((s) => [s, p.recent[s].snapshot().percentiles()])),
      backlog: {
        tiles: p.backlog,
        seconds: outRate > 0 ? round3(p.backlog / outRate) : p.backlog > 0 ? null : 0,
        freeSlots: p.freeSlotCount,
        slots: this.options.slots,
      },
      errors: { ...p.errors },
      hostRestarts: this.pool.restarts,
      crashLoop: this.pool.crashLoop,
      hosts: this.hosts(),
      io: {
        ...info,
        ...io,
        entersPerTile: round3(io.enters / Math.max(1, p.written + p.quarantined)),
        entersPerIo: round3(io.enters / tilesThroughIo),
      },
    };
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
