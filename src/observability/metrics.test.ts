import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_PREFIX } from './metrics.js';

describe('createMetrics', () => {
  it('gives each call its own registry, so several can coexist', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.transactions.inc({ outcome: 'ok' });
    expect(await a.registry.metrics()).toContain('switchboard_transactions_total{outcome="ok"} 1');
    expect(await b.registry.metrics()).not.toContain('outcome="ok"');
  });

  it('records every handle under its switchboard_ name', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.events.inc({ type: 'm.room.message', bridge: 'irc', direction: 'to_network' });
    m.sendLatency.observe({ direction: 'to_matrix', bridge: 'irc' }, 0.2);
    m.queueDepth.set({ direction: 'to_matrix' }, 3);
    m.failures.inc({ direction: 'to_network', bridge: 'irc', reason: 'rejected' });
    m.outboxPending.set(5);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'switchboard_events_total{type="m.room.message",bridge="irc",direction="to_network"} 1',
    );
    expect(text).toContain(
      'switchboard_send_latency_seconds_bucket{le="0.25",direction="to_matrix",bridge="irc"} 1',
    );
    expect(text).toContain('switchboard_queue_depth{direction="to_matrix"} 3');
    expect(text).toContain(
      'switchboard_failures_total{direction="to_network",bridge="irc",reason="rejected"} 1',
    );
    expect(text).toContain('switchboard_outbox_pending 5');
  });

  it('includes process metrics, prefixed too', async () => {
    const m = createMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toContain('switchboard_process_cpu_seconds_total');
    expect(names).toContain('switchboard_nodejs_heap_size_used_bytes');
    for (const name of names) expect(name.startsWith(METRIC_PREFIX)).toBe(true);
  });
});
