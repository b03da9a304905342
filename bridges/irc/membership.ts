/**
 * Matrix memberships in channel rooms: a Matrix user who joins gets their IRC connection at once
 * (connecting in the background, so they are in the channel before they first speak and the
 * room's queue does not wait a registration); one who leaves, is kicked or is banned PARTs.
 * Private-chat rooms and other bridges' ghosts are left alone (they connect when they speak).
 */
import type { Logger } from 'pino';
import type { MatrixMembership } from '../../src/connector.js';
import type { IrcNetwork } from './client.js';
import { parsePortalKey } from './ids.js';

export interface MembershipDeps {
  network(id: string): IrcNetwork | undefined;
  log: Logger;
}

export function handleMatrixMembership(deps: MembershipDeps, change: MatrixMembership): void {
  const where = parsePortalKey(change.portal);
  const network = where && deps.network(where.network);
  if (!where || !network || change.sender.viaBridge) return;
  if (change.membership === 'join') {
    if (change.sender.userId !== change.target) return;
    const failed = (err: unknown) =>
      deps.log.info(
        { err, irc: where.network, channel: where.channel, userId: change.target },
        'the IRC connection of a Matrix user who joined could not join the channel yet',
      );
    try {
      network.puppetFor(change.target, change.sender.displayName).join(where.channel).catch(failed);
    } catch (err) {
      failed(err); // the network's connection limit: they connect when they speak
    }
    return;
  }
  if (change.membership === 'invite') return;
  const what =
    change.membership === 'leave'
      ? 'Left the Matrix room'
      : `${change.membership === 'ban' ? 'Banned' : 'Kicked'} on Matrix`;
  const why = change.reason ? `${what}: ${change.reason}` : what;
  network.puppet(change.target)?.part(where.channel, why);
}
