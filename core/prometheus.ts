// Prometheus text exposition (format 0.0.4) of the daemon's figures: base
// units (seconds, bytes), counters ending in _total, latency histograms with
// buckets from 100 µs to 10 s.

import { PROMETHEUS_BUCKETS, type LatencyHistogram } from './metrics.js';

type Labels = Record<string, string>;

export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  counter(name: string, help: string, value: number, labels?: Labels): this {
    return this.sample(name, 'counter', help, value, labels);
  }

  gauge(name: string, help: string, value: number, labels?: Labels): this {
    return this.sample(name, 'gauge', help, value, labels);
  }

  /** A histogram in seconds from a LatencyHistogram recorded in milliseconds. */
  histogram(name: string, help: string, histogram: LatencyHistogram, labels: Labels = {}): this {
    this.declare(name, 'histogram', help);
    const cumulative = histogram.cumulativeBuckets();
    PROMETHEUS_BUCKETS.forEach((bound, i) => {
      this.lines.push(
        `${name}_bucket${formatLabels({ ...labels, le: String(bound) })} ${cumulative[i]}`,
      );
    });
    this.lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${histogram.count}`);
    this.lines.push(`${name}_sum${formatLabels(labels)} ${histogram.sumMs / 1000}`);
    this.lines.push(`${name}_count${formatLabels(labels)} ${histogram.count}`);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }

  private sample(name: string, type: string, help: string, value: number, labels?: Labels): this {
    this.declare(name, type, help);
    this.lines.push(`${name}${formatLabels(labels ?? {})} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }

  private declare(name: string, type: string, help: string): void {
    if (this.declared.has(name)) return;
    this.declared.add(name);
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}
