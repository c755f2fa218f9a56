// Counters, rates and latency histograms of the pipeline. Percentiles come
// from log-spaced buckets (about 9% wide), so recording a sample is O(1) and
// memory does not grow with the number of tiles.

/** Bucket upper bounds in seconds for Prometheus; they bracket tile latencies. */
export const PROMETHEUS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const STEPS_PER_DOUBLING = 8;
const MIN_MICROS = 1;
const BUCKETS = STEPS_PER_DOUBLING * 28; // 1 µs .. about 268 s

function bucketOf(micros: number): number {
  if (micros <= MIN_MICROS) return 0;
  const index = Math.floor(Math.log2(micros / MIN_MICROS) * STEPS_PER_DOUBLING);
  return Math.min(index, BUCKETS - 1);
}

function bucketMidMicros(index: number): number {
  return MIN_MICROS * Math.pow(2, (index + 0.5) / STEPS_PER_DOUBLING);
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One distribution of latencies; values are recorded in milliseconds. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private readonly promCounts = new Float64Array(PROMETHEUS_BUCKETS.length);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const value = Math.max(0, ms);
    this.counts[bucketOf(value * 1000)]++;
    const seconds = value / 1000;
    for (let i = 0; i < PROMETHEUS_BUCKETS.length; i++) {
      if (seconds <= PROMETHEUS_BUCKETS[i]) {
        this.promCounts[i]++;
        break;
      }
    }
    this.count++;
    this.sumMs += value;
    if (value > this.maxMs) this.maxMs = value;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    for (let i = 0; i < this.promCounts.length; i++) this.promCounts[i] += other.promCounts[i];
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The value (ms) below which a fraction q of the samples fall. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(bucketMidMicros(i) / 1000, this.maxMs);
    }
    return this.maxMs;
  }

  percentiles(): Percentiles {
    return {
      count: this.count,
      p50: round3(this.quantile(0.5)),
      p95: round3(this.quantile(0.95)),
      p99: round3(this.quantile(0.99)),
      max: round3(this.maxMs),
    };
  }

  /** Cumulative counts per PROMETHEUS_BUCKETS bound (without +Inf). */
  cumulativeBuckets(): number[] {
    let running = 0;
    return Array.from(this.promCounts, (n) => (running += n));
  }
}

/**
 * A histogram over a sliding window of whole seconds, for "what is latency
 * now" rather than since the daemon started.
 */
export class WindowedHistogram {
  private readonly slots: LatencyHistogram[];
  private readonly stamps: number[];

  constructor(
    private readonly seconds = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.slots = Array.from({ length: seconds }, () => new LatencyHistogram());
    this.stamps = new Array(seconds).fill(-1);
  }

  record(ms: number): void {
    const second = Math.floor(this.now() / 1000);
    const index = second % this.seconds;
    if (this.stamps[index] !== second) {
      this.slots[index] = new LatencyHistogram();
      this.stamps[index] = second;
    }
    this.slots[index].record(ms);
  }

  snapshot(): LatencyHistogram {
    const second = Math.floor(this.now() / 1000);
    const merged = new LatencyHistogram();
    for (let i = 0; i < this.seconds; i++) {
      if (this.stamps[i] > second - this.seconds) merged.merge(this.slots[i]);
    }
    return merged;
  }
}

/** Events per second over the last minute, one bucket per second. */
export class RateCounter {
  private readonly counts: number[];
  private readonly stamps: number[];
  total = 0;
  private readonly createdAt: number;

  constructor(
    private readonly seconds = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.createdAt = now();
    this.counts = new Array(seconds).fill(0);
    this.stamps = new Array(seconds).fill(-1);
  }

  add(n = 1): void {
    const second = Math.floor(this.now() / 1000);
    const index = second % this.seconds;
    if (this.stamps[index] !== second) {
      this.counts[index] = 0;
      this.stamps[index] = second;
    }
    this.counts[index] += n;
    this.total += n;
  }

  /**
   * Mean rate over the last `window` complete seconds plus the current one,
   * or over the counter's lifetime when that is shorter (at least half a
   * second), so a burst right after start is not diluted by empty seconds.
   */
  perSecond(window = 5): number {
    const nowMs = this.now();
    const second = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let s = second - window; s <= second; s++) {
      const index = ((s % this.seconds) + this.seconds) % this.seconds;
      if (this.stamps[index] === s) sum += this.counts[index];
    }
    const lifetime = Math.max(0.5, (nowMs - this.createdAt) / 1000);
    return sum / Math.min(window + (nowMs % 1000) / 1000, lifetime);
  }

  /** Counts for each of the last `n` seconds, oldest first (for charts). */
  series(n = 60): number[] {
    const second = Math.floor(this.now() / 1000);
    const out: number[] = [];
    for (let s = second - n + 1; s <= second; s++) {
      const index = ((s % this.seconds) + this.seconds) % this.seconds;
      out.push(this.stamps[index] === s ? this.counts[index] : 0);
    }
    return out;
  }
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
