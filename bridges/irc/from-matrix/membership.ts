/**
 * Matrix memberships in channel rooms: a Matrix user who joins gets their IRC connection at once
 * (connecting in the background, so they are in the channel before they first speak and the
 * room's queue does not wait a registration); one who leaves, is kicked or is banned PARTs.
 * A Matrix kick or ban of an IRC user's ghost is a KICK (and +b) by the kicker's own connection,
 * an unban is `-b`. When IRC refuses a kick, the ghost of a user still in the channel comes back
 * into the room (a refused ban leaves it out: the Matrix room's ban stands there).
 * Private-chat rooms and other bridges' ghosts are left alone (they connect when they speak).
 */
import type { Logger } from 'pino';
import { BridgeError, type MatrixMembership } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { NICK } from '../commands/commands.js';
import { parsePortalKey } from '../ids.js';
import { kick, unban } from '../connection/requests.js';

export interface MembershipDeps {
  network(id: string): IrcNetwork | undefined;
  /** The IRC nick behind one of our ghosts on `network`. */
  ghostNick(userId: string, network: string): string | undefined;
  /** The ghost of `nick` joins the room again if the nick is still in the channel. */
  restoreGhost(network: string, channel: string, nick: string): void;
  log: Logger;
}

export async function handleMatrixMembership(
  deps: MembershipDeps,
  change: MatrixMembership,
): Promise<void> {
  const where = parsePortalKey(change.portal);
  const network = where && deps.network(where.network);
  if (!where || !network || change.sender.viaBridge) return;
  const ghost = deps.ghostNick(change.target, where.network);
  if (ghost !== undefined) {
    // A Matrix user kicked or banned an IRC user's ghost: their own connection does it on IRC,
    // which works when they are a channel operator there (else IRC's refusal is their notice).
    // An unban lifts the ban mask a Matrix ban set (`nick!*@*`).
    if (
      change.membership !== 'kick' &&
      change.membership !== 'ban' &&
      change.membership !== 'unban'
    )
      return;
    if (!NICK.test(ghost)) throw new BridgeError('rejected', `${ghost} is not an IRC nick`);
    const puppet = network.puppetFor(change.sender.userId, change.sender.displayName);
    await puppet.join(where.channel);
    if (change.membership === 'unban') return unban(puppet, where.channel.toLowerCase(), ghost);
    const reason =
      change.reason ?? `${change.membership === 'ban' ? 'Banned' : 'Kicked'} from Matrix`;
    const ban = change.membership === 'ban';
    try {
      await kick(puppet, where.channel.toLowerCase(), ghost, reason, ban);
    } catch (err) {
      if (!ban) deps.restoreGhost(where.network, where.channel, ghost);
      throw err;
    }
    return;
  }
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
  if (change.membership === 'invite' || change.membership === 'unban') return;
  const what =
    change.membership === 'leave'
      ? 'Left the Matrix room'
      : `${change.membership === 'ban' ? 'Banned' : 'Kicked'} on Matrix`;
  const why = change.reason ? `${what}: ${change.reason}` : what;
  network.puppet(change.target)?.part(where.channel, why);
}
