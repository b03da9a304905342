/**
 * Traffic for the status page, read from the counters core already keeps: messages per minute
 * each way per bridge over the last hour (a ring of per-minute buckets fed by sampling
 * `switchboard_events_total`), and delivery latency p50/p99 from the send-latency histogram.
 */
import type { Metrics } from '../observability/metrics.js';

export const MINUTES = 60;
const MINUTE_MS = 60_000;

export interface TrafficSeries {
  bridge: string;
  direction: 'to_matrix' | 'to_network';
  /** Events per minute, oldest first, one per minute of `TrafficChart.minutes`. */
  counts: number[];
}

export interface TrafficChart {
  /** Start of each minute (ms), oldest first; the last is the current (partial) minute. */
  minutes: number[];
  series: TrafficSeries[];
}

export interface Latency {
  direction: 'to_matrix' | 'to_network';
  count: number;
  /** Milliseconds; undefined before the first event. */
  p50?: number;
  p99?: number;
}

type Events = Pick<Metrics, 'events'>['events'];

/** Per-minute event counts by bridge and direction, fed by the deltas of the events counter. */
export class TrafficRing {
  /** minute index → `bridge direction` → count */
  private readonly buckets = new Map<number, Map<string, number>>();
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds what the counter gained since the last sample to the current minute. */
  async sample(events: Events): Promise<void> {
    const { values } = await events.get();
    const minute = Math.floor(this.now() / MINUTE_MS);
    for (const { labels, value } of values) {
      const full = `${labels.type}\0${labels.bridge}\0${labels.direction}`;
      const delta = value - (this.seen.get(full) ?? 0);
      if (delta <= 0) continue; // counters only grow: an older reading of a sample running alongside
      this.seen.set(full, value);
      this.add(String(labels.bridge), String(labels.direction), delta, minute);
    }
    for (const m of this.buckets.keys()) if (m <= minute - MINUTES) this.buckets.delete(m);
  }

  add(
    bridge: string,
    direction: string,
    count: number,
    minute = Math.floor(this.now() / MINUTE_MS),
  ) {
    let bucket = this.buckets.get(minute);
    if (!bucket) this.buckets.set(minute, (bucket = new Map()));
    const key = `${bridge} ${direction}`;
    bucket.set(key, (bucket.get(key) ?? 0) + count);
  }

  chart(bridges: Iterable<string>): TrafficChart {
    const current = Math.floor(this.now() / MINUTE_MS);
    const first = current - MINUTES + 1;
    const minutes = Array.from({ length: MINUTES }, (_, i) => (first + i) * MINUTE_MS);
    const names = new Set(bridges);
    for (const bucket of this.buckets.values())
      for (const key of bucket.keys()) names.add(key.slice(0, key.lastIndexOf(' ')));
    const series: TrafficSeries[] = [];
    for (const bridge of [...names].sort())
      for (const direction of ['to_network', 'to_matrix'] as const)
        series.push({
          bridge,
          direction,
          counts: minutes.map(
            (_, i) => this.buckets.get(first + i)?.get(`${bridge} ${direction}`) ?? 0,
          ),
        });
    return { minutes, series };
  }
}

/** p50 and p99 per direction since start, interpolated within the histogram's buckets. */
export async function latencies(histogram: Metrics['sendLatency']): Promise<Latency[]> {
  const { values } = await histogram.get();
  const byDirection = new Map<string, Map<number, number>>();
  for (const { labels, value, metricName } of values) {
    if (!metricName?.endsWith('_bucket')) continue;
    const bound = (labels as Record<string, string | number | undefined>).le;
    const le = bound === '+Inf' ? Infinity : Number(bound);
    const direction = String(labels.direction);
    let buckets = byDirection.get(direction);
    if (!buckets) byDirection.set(direction, (buckets = new Map()));
    buckets.set(le, (buckets.get(le) ?? 0) + value); // summed over bridges
  }
  return (['to_network', 'to_matrix'] as const).map((direction) => {
    const buckets = [...(byDirection.get(direction) ?? new Map<number, number>())].sort(
      (a, b) => a[0] - b[0],
    );
    const count = buckets.at(-1)?.[1] ?? 0;
    if (!count) return { direction, count };
    return {
      direction,
      count,
      p50: quantile(buckets, count, 0.5),
      p99: quantile(buckets, count, 0.99),
    };
  });
}

/** Cumulative buckets (upper bound in s, count) → the q-quantile in ms. */
export function quantile(buckets: [number, number][], count: number, q: number): number {
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (le === Infinity) return lower * 1000; // past the last bound: say at least that
      const inBucket = cumulative - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (le - lower) * fraction) * 1000;
    }
    lower = le === Infinity ? lower : le;
    below = cumulative;
  }
  return lower * 1000;
}
