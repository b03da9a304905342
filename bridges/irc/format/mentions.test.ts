import { describe, expect, it } from 'vitest';
import type { MatrixUserId, RemoteUserId } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { mentionLookup, registerGhostIds } from './mentions.js';

/** The parts of a network the lookup reads: whose puppet a nick is, and the bot's nick. */
const network = (): IrcNetwork =>
  ({
    id: 'net',
    puppetOwner: (nick: string) =>
      nick.toLowerCase() === 'alice[m]' ? ('@alice:example.org' as MatrixUserId) : undefined,
    isOurNick: (nick: string) => ['alice[m]', 'switchboard'].includes(nick.toLowerCase()),
  }) as unknown as IrcNetwork;

describe('mentionLookup', () => {
  const seen = (nick: string) => ['bob', 'switchboard'].includes(nick.toLowerCase());

  it("names a puppet's Matrix user (anywhere in a message), and a seen IRC user's ghost (addressed only)", () => {
    const net = network();
    registerGhostIds(net, (user: RemoteUserId) => `@irc_${user}:example.org` as MatrixUserId);
    const lookup = mentionLookup(net, seen);
    expect(lookup('Alice[m]')).toEqual({ userId: '@alice:example.org', anywhere: true });
    expect(lookup('Bob')).toEqual({ userId: '@irc_net_bob:example.org', anywhere: false });
  });

  it('names nobody for a nick never seen, nor for the bot', () => {
    const net = network();
    registerGhostIds(net, (user: RemoteUserId) => `@irc_${user}:example.org` as MatrixUserId);
    const lookup = mentionLookup(net, seen);
    expect(lookup('note')).toBeUndefined();
    expect(lookup('switchboard')).toBeUndefined();
  });

  it('names puppets only when the network has no ghost ids (yet)', () => {
    const lookup = mentionLookup(network(), seen);
    expect(lookup('alice[m]')?.userId).toBe('@alice:example.org');
    expect(lookup('bob')).toBeUndefined();
  });
});
