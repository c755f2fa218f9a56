// Readable output for people: status as a short report, lists as tables.
// `--json` bypasses all of this.

type Row = Record<string, unknown>;

export function formatTable(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const keys = columns ?? Object.keys(rows[0]);
  const cells = rows.map((row) => keys.map((k) => cell(row[k])));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

interface Status {
  daemon: { pid: number; uptimeS: number; socket: string };
  plugin?: { name: string; sha256: string; args: number[] };
  tiles: { fed: number; written: number; quarantined: number; inFlight: number; retries: number };
  rates: { inPerS: number; outPerS: number };
  latencyMs: Record<string, { p50: number; p95: number; p99: number; count: number }>;
  backlog: { tiles: number; seconds: number | null };
  errors: Record<string, number>;
  hostRestarts: number;
  hosts: Row[];
  io: { io: string; enters: number; entersPerTile: number; submissions: number; batches: number };
}

export function formatStatus(s: Status): string {
  const t = s.tiles;
  const lat = Object.entries(s.latencyMs)
    .map(
      ([stage, p]) => `  ${stage.padEnd(9)} p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}`,
    )
    .join('\n');
  const errors = Object.entries(s.errors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    `daemon   pid ${s.daemon.pid}, up ${s.daemon.uptimeS} s, ${s.daemon.socket}`,
    `plugin   ${s.plugin ? `${s.plugin.name} ${s.plugin.args.join(' ')} (sha256 ${s.plugin.sha256.slice(0, 12)})` : '-'}`,
    `tiles    fed ${t.fed} = written ${t.written} + quarantined ${t.quarantined} + in flight ${t.inFlight}; retries ${t.retries}`,
    `rate     in ${s.rates.inPerS.toFixed(1)}/s, out ${s.rates.outPerS.toFixed(1)}/s`,
    `backlog  ${s.backlog.tiles} tiles${s.backlog.seconds === null ? '' : `, ${s.backlog.seconds} s`}`,
    `latency  (ms, since start)`,
    lat,
    `errors   ${errors || 'none'}; host restarts ${s.hostRestarts}`,
    `io       ${s.io.io}: ${s.io.enters} io_uring_enter for ${s.io.submissions} submissions in ${s.io.batches} batches, ${s.io.entersPerTile} enters per tile`,
    '',
    formatTable(s.hosts, [
      'id',
      'pid',
      'state',
      'plugin',
      'tiles',
      'restarts',
      'renewals',
      'lastExecMs',
    ]),
  ].join('\n');
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

export function formatResult(cmd: string, result: unknown): string {
  if (cmd === 'status') return formatStatus(result as Status);
  if (Array.isArray(result) && result.every((r) => typeof r === 'object' && r !== null)) {
    return formatTable(result as Row[]);
  }
  if (typeof result === 'object' && result !== null) {
    return Object.entries(result)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join('\n');
  }
  return String(result);
}
