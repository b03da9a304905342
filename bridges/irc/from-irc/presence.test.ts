// IRC away status → the ghost's presence: which lines count (away-notify AWAY, not a 301 answer),
// and what the listener emits as users go away, come back, change nick, part and quit.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RemoteEvent } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { IrcListener } from './from-irc.js';
import { makePortalKey } from '../ids.js';
import { awayChange } from './presence.js';

describe('awayChange', () => {
  it('reads away-notify AWAY lines: a message is away with it as status, none is back', () => {
    expect(awayChange(':Alice!a@host AWAY :gone to lunch')).toEqual({
      nick: 'Alice',
      presence: { presence: 'unavailable', status: 'gone to lunch' },
    });
    expect(awayChange('@time=2024-01-01T00:00:00.000Z :Alice!a@host AWAY :lunch')).toEqual({
      nick: 'Alice',
      presence: { presence: 'unavailable', status: 'lunch' },
    });
    expect(awayChange(':Alice!a@host AWAY lunch')?.presence).toEqual({
      presence: 'unavailable',
      status: 'lunch',
    });
    // irc-framework's raw lines keep their CR LF.
    expect(awayChange(':Alice!a@host AWAY :lunch\r\n')?.presence).toEqual({
      presence: 'unavailable',
      status: 'lunch',
    });
    expect(awayChange(':Alice!a@host AWAY\r')?.presence).toEqual({ presence: 'online' });
    expect(awayChange(':Alice!a@host AWAY')?.presence).toEqual({ presence: 'online' });
    expect(awayChange(':Alice!a@host AWAY :')?.presence).toEqual({ presence: 'online' });
  });

  it('strips IRC formatting from the status; away with nothing left is away without one', () => {
    expect(awayChange(':Bob!b@h AWAY :\x02busy\x02 \x0304now\x03')?.presence).toEqual({
      presence: 'unavailable',
      status: 'busy now',
    });
    expect(awayChange(':Bob!b@h AWAY :\x02\x02 ')?.presence).toEqual({ presence: 'unavailable' });
  });

  it('ignores every other line: RPL_AWAY (301), messages that mention AWAY, what we send', () => {
    expect(awayChange(':irc.local 301 switchboard Alice :lunch')).toBeUndefined();
    expect(awayChange(':Alice!a@host PRIVMSG #c :AWAY :lunch')).toBeUndefined();
    expect(awayChange('AWAY :lunch')).toBeUndefined();
  });
});

/** A listener on a fake bot connection; what it emits is recorded. */
function listener(bridged: string[]) {
  const client = new EventEmitter() as EventEmitter & {
    network: { supports(): unknown; cap: { enabled: string[] } };
  };
  client.network = { supports: () => undefined, cap: { enabled: ['away-notify'] } };
  const written: string[] = [];
  const ourNicks = new Set(['switchboard', 'carol[m]']);
  const network = {
    id: 'net',
    config: { power_levels: {} },
    bot: {
      client,
      nick: 'switchboard',
      isMe: (n: string) => n.toLowerCase() === 'switchboard',
      writeLines: async (lines: string[]) => void written.push(...lines),
      inChannelNow: () => true,
    },
    isOurNick: (n: string) => ourNicks.has(n.toLowerCase()),
  } as unknown as IrcNetwork;
  const portals = new Set(bridged.map((c) => makePortalKey('net', c) as string));
  const emitted: RemoteEvent[] = [];
  const irc = new IrcListener(network, {
    emit: async (e) => void emitted.push(e),
    setGhostProfile: async () => undefined,
    hasPortal: (key) => portals.has(key),
    portalGhosts: async () => [],
    notify: async () => false,
    log: pino({ level: 'silent' }),
  });
  irc.listen();
  // As irc-framework hands them over: CR LF still on.
  const line = (l: string) => client.emit('raw', { line: `${l}\r\n`, from_server: true });
  const presences = async () => {
    await irc.idle();
    return emitted
      .filter((e) => e.kind === 'presence')
      .map((e) => ({ portal: e.portal, sender: e.sender, ...pick(e) }));
  };
  return { client, line, presences, written };
}
const pick = (e: RemoteEvent) =>
  e.kind === 'presence'
    ? { presence: e.presence, ...(e.status === undefined ? {} : { status: e.status }) }
    : {};

describe('IrcListener: presence', () => {
  it('away and back of a user in a bridged channel: one presence each, in one portal', async () => {
    const { client, line, presences } = listener(['#a', '#b']);
    client.emit('join', { nick: 'Alice', channel: '#a' });
    client.emit('join', { nick: 'Alice', channel: '#b' });
    line(':Alice!a@h AWAY :lunch');
    line(':Alice!a@h AWAY :lunch'); // no change: nothing sent
    line(':Alice!a@h AWAY');
    expect(await presences()).toEqual([
      { portal: 'net/#a', sender: 'net_alice', presence: 'unavailable', status: 'lunch' },
      { portal: 'net/#a', sender: 'net_alice', presence: 'online' },
    ]);
  });

  it('ignores our own connections, users in no bridged channel, and 301 answers', async () => {
    const { client, line, presences } = listener(['#a']);
    client.emit('join', { nick: 'carol[m]', channel: '#a' });
    client.emit('join', { nick: 'Dan', channel: '#unbridged' });
    client.emit('join', { nick: 'Erin', channel: '#a' });
    line(':carol[m]!c@h AWAY :on Matrix');
    line(':Dan!d@h AWAY :lunch');
    line(':Zed!z@h AWAY :lunch'); // in no channel the bot sees
    line(':irc.local 301 switchboard Erin :lunch');
    line(':switchboard!s@h AWAY :bot');
    expect(await presences()).toEqual([]);
  });

  it('a QUIT or the last bridged PART sets offline, but only for a ghost that was given a presence', async () => {
    const { client, line, presences } = listener(['#a', '#b']);
    for (const nick of ['Alice', 'Bob', 'Cid'])
      for (const channel of ['#a', '#b']) client.emit('join', { nick, channel });
    line(':Alice!a@h AWAY :lunch');
    line(':Bob!b@h AWAY :meeting');
    client.emit('quit', { nick: 'Alice', message: 'bye' });
    client.emit('part', { nick: 'Bob', channel: '#a' }); // still in #b: still away
    client.emit('quit', { nick: 'Cid' }); // never away: nothing to undo
    expect(await presences()).toEqual([
      { portal: 'net/#a', sender: 'net_alice', presence: 'unavailable', status: 'lunch' },
      { portal: 'net/#a', sender: 'net_bob', presence: 'unavailable', status: 'meeting' },
      { portal: 'net/#a', sender: 'net_alice', presence: 'offline' },
    ]);
    client.emit('part', { nick: 'Bob', channel: '#b' });
    expect((await presences()).at(-1)).toEqual({
      portal: 'net/#b',
      sender: 'net_bob',
      presence: 'offline',
    });
  });

  it('a new nick is a new ghost: the old one goes offline, the new one is still away', async () => {
    const { client, line, presences } = listener(['#a']);
    client.emit('join', { nick: 'Alice', channel: '#a' });
    line(':Alice!a@h AWAY :lunch');
    client.emit('nick', { nick: 'Alice', new_nick: 'Alice_away' });
    client.emit('nick', { nick: 'Alice_away', new_nick: 'ALICE_AWAY' }); // same ghost
    expect(await presences()).toEqual([
      { portal: 'net/#a', sender: 'net_alice', presence: 'unavailable', status: 'lunch' },
      { portal: 'net/#a', sender: 'net_alice', presence: 'offline' },
      { portal: 'net/#a', sender: 'net_alice_away', presence: 'unavailable', status: 'lunch' },
    ]);
  });

  it('asks WHO when the bot joins: who is away already shows away, who came back meanwhile online', async () => {
    const { client, line, presences, written } = listener(['#a']);
    for (const nick of ['Alice', 'Bob', 'Cid']) client.emit('join', { nick, channel: '#a' });
    line(':Cid!c@h AWAY :lunch'); // before a reconnect
    line(':Bob!b@h AWAY :meeting');
    client.emit('join', { nick: 'switchboard', channel: '#a' });
    expect(written).toContain('WHO #a');
    client.emit('wholist', {
      target: '#a',
      users: [
        { nick: 'switchboard', away: true },
        { nick: 'Alice', away: true }, // away since before the bot could hear it
        { nick: 'Bob', away: true }, // still away: keeps "meeting"
        { nick: 'Cid', away: false }, // came back while the bot was gone
      ],
    });
    expect((await presences()).slice(2)).toEqual([
      { portal: 'net/#a', sender: 'net_alice', presence: 'unavailable' },
      { portal: 'net/#a', sender: 'net_cid', presence: 'online' },
    ]);
  });
});
