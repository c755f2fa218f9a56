// What the dashboard shows, kept apart from how it is drawn: the last
// minute of rates, latencies and backlog, the latest status, and the event
// log. A resize redraws everything from here.

import { balance } from '../format.js';

/** Points kept per series: one a second, a minute of history. */
export const HISTORY_POINTS = 60;

export interface Series {
  title: string;
  x: string[];
  y: number[];
}

interface Percentiles {
  p50: number;
  p95: number;
}

/** The parts of `status` the dashboard reads; everything else is ignored. */
export interface DashboardStatus {
  daemon?: { pid: number; socket?: string };
  plugin?: { name: string; args: number[] };
  tiles: { fed: number; written: number; quarantined: number; inFlight: number; retries: number };
  rates: { inPerS: number; outPerS: number };
  latencyMs: Record<string, Percentiles>;
  recentLatencyMs?: Record<string, Percentiles>;
  backlog: { tiles: number; seconds: number | null; slots?: number };
  errors: Record<string, number>;
  hostRestarts: number;
  hosts: Array<Record<string, unknown>>;
}

export interface LogRecord {
  time?: string;
  level?: string;
  event?: string;
  message?: string;
}

export class DashboardState {
  readonly times: string[] = [];
  readonly inRate: number[] = [];
  readonly outRate: number[] = [];
  readonly p50: number[] = [];
  readonly p95: number[] = [];
  readonly backlog: number[] = [];
  readonly events: string[] = [];
  status?: DashboardStatus;
  faults: Array<Record<string, unknown>> = [];

  addStatus(status: DashboardStatus, at = new Date()): void {
    this.status = status;
    const latency = status.recentLatencyMs?.endToEnd ??
      status.latencyMs.endToEnd ?? { p50: 0, p95: 0 };
    push(this.times, at.toTimeString().slice(3, 8));
    push(this.inRate, status.rates.inPerS);
    push(this.outRate, status.rates.outPerS);
    push(this.p50, latency.p50);
    push(this.p95, latency.p95);
    push(this.backlog, status.backlog.tiles);
  }

  addEvent(record: LogRecord): void {
    const time = (record.time ?? new Date().toISOString()).slice(11, 19);
    const mark = record.level === 'error' || record.level === 'warn' ? '!' : ' ';
    this.addNote(`${time}${mark}${record.event ?? 'event'}: ${record.message ?? ''}`);
  }

  /** A line of the shell's own (a key pressed, an answer) in the event log. */
  addNote(text: string): void {
    this.events.push(text);
    if (this.events.length > 200) this.events.shift();
  }

  rateSeries(): Series[] {
    return [
      { title: 'in', x: this.times, y: this.inRate },
      { title: 'out', x: this.times, y: this.outRate },
    ];
  }

  latencySeries(): Series[] {
    return [
      { title: 'p50', x: this.times, y: this.p50 },
      { title: 'p95', x: this.times, y: this.p95 },
    ];
  }

  backlogSeries(): Series[] {
    return [{ title: 'tiles', x: this.times, y: this.backlog }];
  }

  /** Host rows: id, pid, state, tiles, restarts, memory. */
  hostRows(): string[][] {
    return (this.status?.hosts ?? []).map((h) => [
      String(h.id),
      String(h.pid ?? '-'),
      String(h.state ?? '-'),
      String(h.tiles ?? 0),
      String(h.restarts ?? 0),
      typeof h.memoryBytes === 'number' ? `${(h.memoryBytes / (1 << 20)).toFixed(1)}M` : '-',
    ]);
  }

  /** The totals panel: the balance, errors, restarts and the faults in force. */
  totals(): string[] {
    const s = this.status;
    if (!s) return ['waiting for the first figures...'];
    const t = s.tiles;
    const errors = Object.entries(s.errors)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    const faults = this.faults.map((f) => String(f.spec ?? f.kind));
    const plugin = s.plugin ? [s.plugin.name, ...s.plugin.args].join(' ') : '-';
    const backlog = s.backlog.seconds === null ? '' : ` (${s.backlog.seconds} s)`;
    return [
      balance(t),
      `retries ${t.retries}   host restarts ${s.hostRestarts}   ` +
        `backlog ${s.backlog.tiles}${backlog}`,
      `errors  ${errors || 'none'}`,
      `plugin  ${plugin}   daemon pid ${s.daemon?.pid ?? '-'}`,
      // One fault a line, last, so that many faults run off the bottom, not off the side.
      ...(faults.length
        ? faults.map((f, i) => `${i === 0 ? 'faults ' : '       '} ${f}`)
        : ['faults  none']),
    ];
  }
}

function push(series: Array<number | string>, value: number | string): void {
  series.push(value);
  if (series.length > HISTORY_POINTS) series.shift();
}
