// The daemon's one logger: levels, structured fields, one JSON object per line
// (or a readable line on a terminal). Recent events are kept in memory so a
// client that subscribes late still sees what happened.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: string;
  level: LogLevel;
  event: string;
  message: string;
  [field: string]: unknown;
}

export type LogSink = (record: LogRecord) => void;

export class Logger {
  private readonly sinks = new Set<LogSink>();
  private readonly recent: LogRecord[] = [];

  constructor(
    private readonly level: LogLevel = 'info',
    private readonly output: NodeJS.WritableStream | null = process.stderr,
    private readonly pretty = Boolean((process.stderr as { isTTY?: boolean }).isTTY),
  ) {}

  debug(event: string, message: string, fields: Record<string, unknown> = {}): void {
    this.log('debug', event, message, fields);
  }
  info(event: string, message: string, fields: Record<string, unknown> = {}): void {
    this.log('info', event, message, fields);
  }
  warn(event: string, message: string, fields: Record<string, unknown> = {}): void {
    this.log('warn', event, message, fields);
  }
  error(event: string, message: string, fields: Record<string, unknown> = {}): void {
    this.log('error', event, message, fields);
  }

  /** Receives every record at or above the logger's level; returns the unsubscribe. */
  subscribe(sink: LogSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  recentEvents(limit = 100): LogRecord[] {
    return this.recent.slice(-limit);
  }

  private log(level: LogLevel, event: string, message: string, fields: Record<string, unknown>) {
    if (RANK[level] < RANK[this.level]) return;
    const record: LogRecord = { time: new Date().toISOString(), level, event, message, ...fields };

    this.recent.push(record);
    if (this.recent.length > 500) this.recent.splice(0, this.recent.length - 500);

    if (this.output)
      this.output.write(this.pretty ? formatPretty(record) : JSON.stringify(record) + '\n');
    for (const sink of this.sinks) sink(record);
  }
}

function formatPretty(record: LogRecord): string {
  const { time, level, event, message, ...fields } = record;
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.padEnd(5)} ${event}: ${message}${extra ? ' ' + extra : ''}\n`;
}
