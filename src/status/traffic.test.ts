import { describe, expect, it } from 'vitest';
import { createMetrics } from '../observability/metrics.js';
import { latencies, quantile, TrafficRing } from './traffic.js';

describe('traffic', () => {
  it('counts events per minute each way per bridge from the events counter, for an hour', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const ring = new TrafficRing(() => now);
    metrics.events.inc({ type: 'm.room.message', bridge: 'irc', direction: 'to_network' }, 3);
    metrics.events.inc({ type: 'm.reaction', bridge: 'irc', direction: 'to_network' }, 1);
    await ring.sample(metrics.events);
    now += 60_000;
    metrics.events.inc({ type: 'message', bridge: 'irc', direction: 'to_matrix' }, 2);
    metrics.events.inc({ type: 'm.room.message', bridge: 'irc', direction: 'to_network' }, 1);
    await ring.sample(metrics.events);
    await ring.sample(metrics.events); // nothing new: nothing added

    const chart = ring.chart(['irc', 'echo']);
    expect(chart.minutes).toHaveLength(60);
    expect(chart.minutes.at(-1)).toBe(Date.UTC(2026, 0, 1, 12, 1));
    const series = (bridge: string, direction: string) =>
      chart.series.find((s) => s.bridge === bridge && s.direction === direction)!.counts;
    expect(series('irc', 'to_network').slice(-2)).toEqual([4, 1]);
    expect(series('irc', 'to_matrix').slice(-2)).toEqual([0, 2]);
    expect(series('echo', 'to_matrix').every((n) => n === 0)).toBe(true);

    now += 60 * 60_000; // an hour later, the old minutes have left the ring
    await ring.sample(metrics.events);
    expect(ring.chart(['irc']).series.every((s) => s.counts.every((n) => n === 0))).toBe(true);
  });

  it('p50 and p99 from the latency histogram, per direction', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 98; i++)
      metrics.sendLatency.observe({ direction: 'to_network', bridge: 'irc' }, 0.004);
    metrics.sendLatency.observe({ direction: 'to_network', bridge: 'echo' }, 2);
    metrics.sendLatency.observe({ direction: 'to_network', bridge: 'echo' }, 2);
    const [toNetwork, toMatrix] = await latencies(metrics.sendLatency);
    expect(toNetwork).toMatchObject({ direction: 'to_network', count: 100 });
    expect(toNetwork!.p50).toBeGreaterThan(3);
    expect(toNetwork!.p50).toBeLessThanOrEqual(4);
    expect(toNetwork!.p99).toBeGreaterThan(1000);
    expect(toNetwork!.p99).toBeLessThanOrEqual(2500);
    expect(toMatrix).toEqual({ direction: 'to_matrix', count: 0 });
  });

  it('quantile interpolates within a bucket', () => {
    expect(
      quantile(
        [
          [1, 0],
          [2, 10],
          [Infinity, 10],
        ],
        10,
        0.5,
      ),
    ).toBe(1500);
    expect(
      quantile(
        [
          [1, 0],
          [Infinity, 10],
        ],
        10,
        0.5,
      ),
    ).toBe(1000);
  });
});
