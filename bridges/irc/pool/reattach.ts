/**
 * A starting bridge with the pool: the pool's live connections (its snapshot) are the bridge's
 * again. Their nicks are ours from the first line heard (nothing our puppets said is bridged
 * back as an IRC user's, no NAMES makes ghosts of them), and every puppet is re-attached at once
 * (its private messages are heard, and what it heard meanwhile is handled) instead of waiting
 * for its user's next message. Nothing reaches IRC: the connections were never closed.
 */
import type { Logger } from 'pino';
import type { MatrixUserId } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { ConnState } from './protocol.js';

export function seedFromSnapshot(network: IrcNetwork, snapshot: readonly ConnState[]): void {
  network.seedOurNicks(snapshot.filter((c) => c.network === network.id).map((c) => c.nick));
}

export function reattachPuppets(
  network: IrcNetwork,
  snapshot: readonly ConnState[],
  log: Logger,
): number {
  if (network.config.mode === 'relay') return 0;
  let count = 0;
  for (const conn of snapshot) {
    if (conn.network !== network.id || conn.kind !== 'puppet' || !conn.userId) continue;
    try {
      network.puppetFor(conn.userId as MatrixUserId, conn.userId);
      count++;
    } catch (err) {
      log.warn({ err, irc: network.id, userId: conn.userId }, 'could not re-attach an IRC puppet');
    }
  }
  if (count > 0)
    log.info({ irc: network.id, puppets: count }, 'IRC puppets re-attached in the pool');
  return count;
}
