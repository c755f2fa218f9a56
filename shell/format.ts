// Readable output for people: status as a short report, lists as tables,
// one line for a command that did one thing. `--json` bypasses all of this.

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
  const plugin = s.plugin
    ? `${s.plugin.name} ${s.plugin.args.join(' ')} (sha256 ${s.plugin.sha256.slice(0, 12)})`
    : '-';
  const backlogSeconds = s.backlog.seconds === null ? '' : `, ${s.backlog.seconds} s`;
  return [
    `daemon   pid ${s.daemon.pid}, up ${s.daemon.uptimeS} s, ${s.daemon.socket}`,
    `plugin   ${plugin}`,
    `tiles    ${balance(t)}; retries ${t.retries}`,
    `rate     in ${s.rates.inPerS.toFixed(1)}/s, out ${s.rates.outPerS.toFixed(1)}/s`,
    `backlog  ${s.backlog.tiles} tiles${backlogSeconds}`,
    `latency  (ms, since start)`,
    lat,
    `errors   ${errors || 'none'}; host restarts ${s.hostRestarts}` +
      ((s as { crashLoop?: boolean }).crashLoop
        ? '; CRASH LOOP: hosts die without doing work'
        : ''),
    `io       ${s.io.io}: ${s.io.enters} io_uring_enter for ${s.io.submissions} submissions ` +
      `in ${s.io.batches} batches, ${s.io.entersPerTile} enters per tile`,
    '',
    formatHosts(s.hosts),
  ].join('\n');
}

/** The balance that must always hold: fed = written + quarantined + in flight. */
export function balance(t: {
  fed: number;
  written: number;
  quarantined: number;
  inFlight: number;
}) {
  const { fed, written, quarantined, inFlight } = t;
  return `fed ${fed} = written ${written} + quarantined ${quarantined} + in flight ${inFlight}`;
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

export function formatHosts(hosts: Row[]): string {
  const rows = hosts.map((h) => ({
    ...h,
    memory: typeof h.memoryBytes === 'number' ? mebibytes(h.memoryBytes) : undefined,
  }));
  const columns = ['id', 'pid', 'state', 'plugin', 'tiles', 'inFlight', 'restarts', 'renewals'];
  return formatTable(rows, [...columns, 'memory', 'lastExecMs']);
}

export function mebibytes(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

interface PluginEntry {
  name: string;
  summary: string;
  args: Array<{ name: string; default: number; min: number; max: number }>;
}

function formatPlugins(plugins: PluginEntry[]): string {
  const rows = plugins.map((p) => ({
    plugin: p.name,
    args: p.args.map((a) => `${a.name}=${a.default} (${a.min}..${a.max})`).join(' ') || '-',
    summary: p.summary,
  }));
  return formatTable(rows);
}

interface QuarantineEntry {
  tile: string;
  source: string;
  reason: string;
  attempts: Row[];
  quarantinedAt: string;
}

function formatQuarantineList(records: QuarantineEntry[]): string {
  if (records.length === 0) return 'quarantine is empty';
  const rows = records.map((r) => ({
    tile: r.tile,
    attempts: r.attempts.length,
    reason: r.reason,
    at: r.quarantinedAt.replace('T', ' ').slice(0, 19),
  }));
  return formatTable(rows);
}

function formatQuarantineRecord(r: QuarantineEntry): string {
  const attempts = r.attempts.map((a) => ({ ...a, at: String(a.at ?? '').slice(11, 23) }));
  return [
    `tile     ${r.tile}`,
    `source   ${r.source}`,
    `reason   ${r.reason}`,
    `since    ${r.quarantinedAt}`,
    '',
    formatTable(attempts, ['attempt', 'cause', 'message', 'host', 'plugin', 'at']),
  ].join('\n');
}

function formatFaults(faults: Row[]): string {
  if (faults.length === 0) return 'no faults in force';
  const rows = faults.map((f) => ({
    ...f,
    expires:
      typeof f.expiresInMs === 'number' ? `in ${(f.expiresInMs / 1000).toFixed(1)} s` : 'never',
  }));
  return formatTable(rows, ['id', 'kind', 'spec', 'stage', 'seed', 'expires', 'injected']);
}

/** The one thing a command did, in a line; falls back to `key: value` lines. */
export function formatResult(cmd: string, result: unknown, args: string[] = []): string {
  const r = result as Record<string, any>;
  switch (cmd) {
    case 'status':
      return formatStatus(result as Status);
    case 'hosts':
      return formatHosts(result as Row[]);
    case 'plugins':
      return formatPlugins(result as PluginEntry[]);
    case 'faults':
      if (Array.isArray(result)) return formatFaults(result as Row[]);
      if (typeof r?.cleared === 'number')
        return `cleared ${r.cleared} fault${r.cleared === 1 ? '' : 's'}`;
      break;
    case 'quarantine':
      if (Array.isArray(result)) return formatQuarantineList(result as QuarantineEntry[]);
      if (args[0] === 'show' && r?.tile) return formatQuarantineRecord(r as QuarantineEntry);
      if (typeof r?.retried === 'number') return `fed ${r.retried} quarantined tiles again`;
      break;
    case 'load':
    case 'reload-algo':
      if (r?.plugin) {
        const hosts = Array.isArray(r.hosts) ? r.hosts.length : '?';
        const plugin = [r.plugin, ...(r.args ?? [])].join(' ');
        const how = `compiled ${r.compiled}, sha256 ${String(r.sha256).slice(0, 12)}`;
        return `loaded ${plugin} (${how}) on ${hosts} hosts; new tiles go to it`;
      }
      break;
    case 'feed':
      if (typeof r?.accepted === 'number') {
        const extra = [`${r.files ?? r.accepted} files`];
        if (r.duplicates) extra.push(`${r.duplicates} already in flight`);
        const skipped = Array.isArray(r.skipped) ? r.skipped.length : (r.skipped ?? 0);
        if (skipped)
          extra.push(`${skipped} skipped: written already, \`feed --force\` redoes them`);
        if (r.conflicts?.length) extra.push(`${r.conflicts.length} refused: ${r.conflicts[0]}`);
        return `fed ${r.accepted} ${r.accepted === 1 ? 'tile' : 'tiles'} (${extra.join('; ')})`;
      }
      if (r?.watching)
        return `feeding new tiles as they appear in ${[].concat(r.watching).join(', ')}`;
      break;
    case 'pause':
    case 'resume':
      if (typeof r?.paused === 'boolean') return r.paused ? 'reading paused' : 'reading resumed';
      break;
    case 'drain':
      if (typeof r?.fed === 'number') {
        return `drained: ${balance(r as Status['tiles'])}`;
      }
      break;
    case 'stop':
      return 'the daemon is draining and will exit';
    case 'kill-algo':
    case 'drop':
    case 'delay':
    case 'stall':
      if (typeof r?.id === 'number') return formatFaultAdded(r);
      break;
  }
  return formatGeneric(result);
}

function formatFaultAdded(f: Record<string, any>): string {
  const hosts = (f.killed ?? f.stalled) as string[] | undefined;
  const did = f.killed
    ? `killed ${hosts!.join(', ') || 'no host'}`
    : f.stalled
      ? `stalled ${hosts!.join(', ')}`
      : '';
  if (f.kind === 'kill-algo' && !f.everyMs) return did;
  // The seed replays the same choices: show it unless the spec already says it.
  const seed = /\bseed\b/.test(String(f.spec)) ? '' : `seed ${f.seed}, `;
  const ends =
    typeof f.expiresAt === 'number'
      ? `ends in ${((f.expiresAt - Date.now()) / 1000).toFixed(1)} s`
      : 'until `faults clear`';
  return `fault ${f.id} on: ${f.spec} (${seed}${ends})${did ? `; ${did}` : ''}`;
}

function formatGeneric(result: unknown): string {
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
