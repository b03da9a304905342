import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { bridgeMetrics } from './bridge-metrics.js';

describe('bridgeMetrics', () => {
  it("puts a bridge's counters and gauges on /metrics under switchboard_<bridge>_", async () => {
    const registry = new Registry();
    const metrics = bridgeMetrics(registry, 'irc-test');
    const reconnects = metrics.counter('reconnects', 'Reconnects.', ['network']);
    let connected = 3;
    metrics.gauge('connections', 'Connections.', ['network', 'state'], () => [
      { labels: { network: 'libera', state: 'connected' }, value: connected },
    ]);
    reconnects.inc({ network: 'libera' });
    reconnects.inc({ network: 'libera' }, 2);
    expect(await registry.metrics()).toContain(
      'switchboard_irc_test_reconnects_total{network="libera"} 3',
    );
    connected = 5; // read when scraped
    const text = await registry.metrics();
    expect(text).toContain(
      'switchboard_irc_test_connections{network="libera",state="connected"} 5',
    );
  });

  it('refuses a name Prometheus would not take', () => {
    const metrics = bridgeMetrics(new Registry(), 'irc');
    expect(() => metrics.counter('bad-name', 'x')).toThrow(
      'metric name bad-name: use a-z, 0-9 and _',
    );
  });
});
