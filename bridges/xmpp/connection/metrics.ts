/** The component connection's metrics on core's `/metrics` (`switchboard_xmpp_…`). */
import type { BridgeMetrics } from '../../../src/connector.js';
import type { ComponentLink } from './connection.js';

export function linkMetrics(metrics: BridgeMetrics, link: ComponentLink): void {
  metrics.gauge(
    'component_online',
    'Whether the component connection is up (1) or not (0)',
    [],
    () => [{ labels: {}, value: link.state === 'online' ? 1 : 0 }],
  );
  metrics.gauge('queued_stanzas', 'Stanzas waiting for the component connection', [], () => [
    { labels: {}, value: link.queued },
  ]);
  metrics.gauge('connection_drops', 'Drops of the component connection since start', [], () => [
    { labels: {}, value: link.drops },
  ]);
}
