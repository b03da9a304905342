/**
 * The IRC bridge's own metrics on core's `/metrics` (`switchboard_irc_…`): connections by network,
 * kind (bot, puppet) and state, how often they drop, and the ghosts held for a netsplit.
 */
import type { BridgeMetrics, MetricSample } from '../../src/connector.js';
import type { IrcNetwork } from './connection/client.js';
import type { IrcListener } from './from-irc/from-irc.js';

export interface MeasuredNetwork {
  network: IrcNetwork;
  listener: IrcListener;
}

export function ircMetrics(
  metrics: BridgeMetrics,
  networks: () => Iterable<MeasuredNetwork>,
): {
  dropped(network: string, kind: 'bot' | 'puppet'): void;
} {
  metrics.gauge(
    'connections',
    'IRC connections by network, kind (bot, puppet) and state (connected, down: connecting or waiting to reconnect).',
    ['network', 'kind', 'state'],
    () => {
      const samples: MetricSample<'network' | 'kind' | 'state'>[] = [];
      for (const { network } of networks())
        for (const [kind, counts] of Object.entries(network.connectionCounts()))
          for (const [state, value] of Object.entries(counts))
            samples.push({ labels: { network: network.id, kind, state }, value });
      return samples;
    },
  );
  metrics.gauge(
    'netsplit_held',
    'IRC users whose ghosts stay in their rooms for a netsplit, by network.',
    ['network'],
    () =>
      [...networks()].map(({ network, listener }) => ({
        labels: { network: network.id },
        value: listener.heldForNetsplit,
      })),
  );
  const drops = metrics.counter(
    'connection_drops',
    'IRC connections that dropped (and reconnect with backoff), by network and kind.',
    ['network', 'kind'],
  );
  return { dropped: (network, kind) => drops.inc({ network, kind }) };
}
