/**
 * The email bridge's metrics on core's `/metrics` (`switchboard_email_…`): watched folders by
 * connection state, and mails by direction and outcome.
 */
import type { BridgeMetrics } from '../../../src/connector.js';

export type MailOutcome =
  'bridged' | 'spam' | 'denied' | 'too-large' | 'bounce' | 'sent' | 'failed';

export interface EmailMetrics {
  mail(direction: 'in' | 'out', outcome: MailOutcome): void;
}

export function emailMetrics(
  metrics: BridgeMetrics,
  folders: () => { connected: boolean }[],
): EmailMetrics {
  metrics.gauge(
    'imap_folders',
    'Watched IMAP folders, by whether their connection is up',
    ['state'],
    () => {
      const all = folders();
      const up = all.filter((f) => f.connected).length;
      return [
        { labels: { state: 'connected' }, value: up },
        { labels: { state: 'disconnected' }, value: all.length - up },
      ];
    },
  );
  const mails = metrics.counter('mails', 'Mails handled, by direction and outcome', [
    'direction',
    'outcome',
  ]);
  return { mail: (direction, outcome) => mails.inc({ direction, outcome }) };
}
