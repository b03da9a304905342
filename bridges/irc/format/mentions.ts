/**
 * Who a nick addressed on IRC (`alice[m]: hi`) is on Matrix: a Matrix user's puppet stands for
 * that user (wherever in a message its nick is), an IRC user the bridge has seen for their ghost.
 * The lookup format.ts's `ircToContent` takes to make the pill.
 */
import type { MatrixUserId, RemoteUserId } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { MentionLookup } from './format.js';
import { makeRemoteUser } from '../ids.js';

/**
 * The ghost ids of each network's IRC users, given by the connector at start: the listener that
 * reads messages knows the network, not the bridge context.
 */
const ghostIds = new WeakMap<IrcNetwork, (user: RemoteUserId) => MatrixUserId>();

export function registerGhostIds(
  network: IrcNetwork,
  ghostUserId: (user: RemoteUserId) => MatrixUserId,
): void {
  ghostIds.set(network, ghostUserId);
}

/**
 * The lookup for messages heard on `network`; `seen(nick)` tells whether an IRC user of that nick
 * has a ghost (has spoken or been seen in a bridged channel), so that `note: …` pings no one.
 */
export function mentionLookup(network: IrcNetwork, seen: (nick: string) => boolean): MentionLookup {
  return (nick) => {
    const owner = network.puppetOwner(nick);
    if (owner) return { userId: owner, anywhere: true };
    if (network.isOurNick(nick)) return undefined; // the bot: not a person
    const ghostUserId = ghostIds.get(network);
    return ghostUserId && seen(nick)
      ? { userId: ghostUserId(makeRemoteUser(network.id, nick)), anywhere: false }
      : undefined;
  };
}
