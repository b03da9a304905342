/**
 * The IRC bridge's own metrics on core's `/metrics` (`switchboard_irc_…`): connections by network,
 * kind (bot, puppet) and state, how often they drop, the ghosts held for a netsplit, catch-up
 * (history lines, away notices) and ident queries.
 */
import type { BridgeMetrics, MetricSample } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { IrcListener } from '../from-irc/from-irc.js';

export interface MeasuredNetwork {
  network: IrcNetwork;
  listener: IrcListener;
}

export function ircMetrics(
  metrics: BridgeMetrics,
  networks: () => Iterable<MeasuredNetwork>,
): {
  dropped(network: string, kind: 'bot' | 'puppet'): void;
  replayed(network: string, outcome: 'bridged' | 'duplicate'): void;
  awayNotice(network: string): void;
  identAnswer(answer: 'userid' | 'no-user' | 'invalid-port'): void;
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
  const replayed = metrics.counter(
    'catch_up_lines',
    'Lines of channel history (a replay on join, CHATHISTORY) after the bridge was away: bridged, or dropped as bridged before (duplicate).',
    ['network', 'outcome'],
  );
  const notices = metrics.counter(
    'away_notices',
    'Notices in rooms that the bridge was away and what was said then is not available, by network.',
    ['network'],
  );
  const ident = metrics.counter(
    'ident_queries',
    'Ident (RFC 1413) queries answered, by answer (userid, no-user, invalid-port).',
    ['answer'],
  );
  return {
    dropped: (network, kind) => drops.inc({ network, kind }),
    replayed: (network, outcome) => replayed.inc({ network, outcome }),
    awayNotice: (network) => notices.inc({ network }),
    identAnswer: (answer) => ident.inc({ answer }),
  };
}
