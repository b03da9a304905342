// Netsplits: which QUITs count as one, and what the listener sends to Matrix when users quit in a
// split and come back (a netjoin) within the grace, or do not. Fake timers stand in for the grace.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { remoteUserId, type RemoteEvent } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { IrcListener } from './from-irc.js';
import { makePortalKey } from '../ids.js';
import { isNetsplitQuit, readHolds, SplitHolds, type HeldQuit } from './netsplit.js';

describe('isNetsplitQuit', () => {
  it('takes a QUIT inside an IRCv3 netsplit batch, whatever its message', () => {
    expect(isNetsplitQuit({ message: 'whatever', batch: { type: 'netsplit' } })).toBe(true);
    expect(isNetsplitQuit({ message: 'a.b c.d', batch: { type: 'NETSPLIT' } })).toBe(true);
    expect(isNetsplitQuit({ message: 'bye', batch: { type: 'chathistory' } })).toBe(false);
  });

  it('takes the classic message: two different server names with a dot, one space between', () => {
    expect(isNetsplitQuit({ message: 'irc.a.net irc.b.net' })).toBe(true);
    expect(isNetsplitQuit({ message: 'hub.example.org leaf-2.eu.example.org' })).toBe(true);
    expect(isNetsplitQuit({ message: 'irc.localhost irc2.localhost' })).toBe(true);
    expect(isNetsplitQuit({ message: '*.net *.split' })).toBe(true); // servers that hide splits
  });

  it('is strict: a user quit message that merely looks close is an ordinary quit', () => {
    for (const message of [
      'foo bar',
      'Quit: irc.a.net irc.b.net',
      'irc.a.net',
      'irc.a.net  irc.b.net',
      'irc.a.net irc.b.net ',
      ' irc.a.net irc.b.net',
      'irc.a.net irc.b.net irc.c.net',
      'irc.a.net irc.a.net',
      '1.5 2.0',
      'see you.later alli.gator!',
      'irc.a.net\tirc.b.net',
      '-bad.net irc.b.net',
      'irc..net irc.b.net',
      '',
    ])
      expect(isNetsplitQuit({ message }), message).toBe(false);
    expect(isNetsplitQuit({})).toBe(false);
  });
});

describe('SplitHolds', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('expires a hold after the grace with the channels not joined again', () => {
    const expired: HeldQuit[] = [];
    const holds = new SplitHolds(60_000, (q) => expired.push(q));
    holds.hold('Alice', { '#a': 0, '#b': 50 }, 'irc.a.net irc.b.net');
    expect(holds.rejoined('ALICE', '#B')).toBe(true);
    expect(holds.rejoined('alice', '#b')).toBe(false); // once
    expect(holds.rejoined('bob', '#a')).toBe(false);
    vi.advanceTimersByTime(59_999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([
      expect.objectContaining({
        nick: 'Alice',
        channels: { '#a': 0 },
        reason: 'irc.a.net irc.b.net',
      }),
    ]);
    expect(holds.list()).toEqual([]);
  });

  it('a user back in every channel is no longer held: nothing expires', () => {
    const expired: HeldQuit[] = [];
    const holds = new SplitHolds(60_000, (q) => expired.push(q));
    holds.hold('Alice', { '#a': 0 }, 'x.y z.w');
    expect(holds.rejoined('alice', '#a')).toBe(true);
    vi.advanceTimersByTime(120_000);
    expect(expired).toEqual([]);
  });

  it('stores every change once per turn, and takes stored holds up again with what was left', () => {
    const saved: HeldQuit[][] = [];
    const holds = new SplitHolds(
      60_000,
      () => undefined,
      (h) => saved.push(h),
    );
    holds.hold('Alice', { '#a': 0 }, 'x.y z.w');
    holds.hold('Bob', { '#a': 0 }, 'x.y z.w');
    vi.advanceTimersByTime(0);
    expect(saved.map((s) => s.map((h) => h.nick))).toEqual([['Alice', 'Bob']]);

    const expired: string[] = [];
    const later = new SplitHolds(60_000, (q) => expired.push(q.nick));
    later.restore(readHolds(JSON.parse(JSON.stringify(saved[0]))));
    later.restore(readHolds([{ nick: 'Eve' }, 'junk', null])); // malformed: dropped
    vi.advanceTimersByTime(59_999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['Alice', 'Bob']);
  });

  it('stop() drops the timers without storing (the stored holds stay for the next start)', () => {
    const saved: HeldQuit[][] = [];
    const expired: string[] = [];
    const holds = new SplitHolds(
      1_000,
      (q) => expired.push(q.nick),
      (h) => saved.push(h),
    );
    holds.hold('Alice', { '#a': 0 }, 'x.y z.w');
    vi.advanceTimersByTime(0);
    holds.stop();
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual([]);
    expect(saved).toHaveLength(1);
  });
});

/**
 * A listener on a fake bot connection with a grace of a minute; what it emits is recorded.
 * `inRooms`: the nicks whose ghosts the homeserver has in the rooms (after a restart).
 */
function listener(bridged: string[], grace = 60, inRooms: string[] = []) {
  const client = new EventEmitter() as EventEmitter & { network: { supports(): unknown } };
  client.network = { supports: () => [{ symbol: '@', mode: 'o' }] };
  const network = {
    id: 'net',
    config: { power_levels: {}, netsplit_grace_seconds: grace },
    bot: {
      client,
      nick: 'switchboard',
      isMe: (n: string) => n.toLowerCase() === 'switchboard',
      writeLines: async () => undefined,
      inChannelNow: () => true,
    },
    isOurNick: (n: string) => n.toLowerCase() === 'switchboard',
  } as unknown as IrcNetwork;
  const portals = new Set(bridged.map((c) => makePortalKey('net', c) as string));
  const emitted: RemoteEvent[] = [];
  const saved: HeldQuit[][] = [];
  const irc = new IrcListener(
    network,
    {
      emit: async (e) => void emitted.push(e),
      setGhostProfile: async () => undefined,
      hasPortal: (key) => portals.has(key),
      portalGhosts: async () => inRooms.map((nick) => remoteUserId(`net_${nick}`)),
      notify: async () => false,
      log: pino({ level: 'silent' }),
    },
    (holds) => saved.push(holds),
  );
  irc.listen();
  /** What Matrix was sent since the last call, shortly: `join net_alice net/#a`. */
  let seen = 0;
  const sent = async () => {
    await vi.advanceTimersByTimeAsync(0);
    await irc.idle();
    const out = emitted.slice(seen).map((e) => {
      if (e.kind === 'membership')
        return `${e.membership} ${e.sender} ${e.portal}${e.reason ? ` (${e.reason})` : ''}`;
      if (e.kind === 'power-levels')
        return `levels ${e.portal} ${e.levels.map((l) => `${l.user}=${l.level}`).join(',')}`;
      return e.kind;
    });
    seen = emitted.length;
    return out;
  };
  const join = (nick: string, ...channels: string[]) => {
    for (const channel of channels) client.emit('join', { nick, channel });
  };
  return { client, irc, sent, join, saved };
}

const SPLIT = 'hub.sbtest.net leaf.sbtest.net';

describe('IrcListener: netsplits', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a netjoin within the grace sends nothing: no leave, no second join', async () => {
    const { client, sent, join } = listener(['#a', '#b']);
    join('Alice', '#a', '#b');
    join('Bob', '#a');
    await sent();
    client.emit('quit', { nick: 'Alice', message: SPLIT });
    client.emit('quit', { nick: 'Bob', message: 'bye', batch: { type: 'netsplit' } });
    await vi.advanceTimersByTimeAsync(30_000);
    join('Alice', '#a', '#b');
    join('Bob', '#a');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await sent()).toEqual([]);
  });

  it('a user not back within the grace leaves then, from the channels not joined again', async () => {
    const { client, sent, join } = listener(['#a', '#b']);
    join('Alice', '#a', '#b');
    await sent();
    client.emit('quit', { nick: 'Alice', message: SPLIT });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(await sent()).toEqual([]);
    join('Alice', '#b');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sent()).toEqual([`leave net_alice net/#a (${SPLIT})`]);
  });

  it('the channel lists reflect the quit during the grace (a later NAMES without them sends nothing)', async () => {
    const { client, sent, join } = listener(['#a']);
    join('Alice', '#a');
    join('Bob', '#a');
    await sent();
    client.emit('quit', { nick: 'Alice', message: SPLIT });
    // The bot reconnects: Alice is not back yet, Bob is there; only the grace decides Alice's leave.
    client.emit('userlist', { channel: '#a', users: [{ nick: 'Bob' }, { nick: 'switchboard' }] });
    expect(await sent()).toEqual(['levels net/#a ']);
    // Alice in the NAMES of a later join (the netjoin happened while the bot was away): no join.
    client.emit('userlist', {
      channel: '#a',
      users: [{ nick: 'Alice' }, { nick: 'Bob' }, { nick: 'switchboard' }],
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await sent()).toEqual(['levels net/#a ']);
  });

  it("an operator's ghost keeps its level through a netjoin, and loses it when the grace ends", async () => {
    const { client, sent, join } = listener(['#a']);
    join('Alice', '#a');
    join('Bob', '#a');
    client.emit('mode', { target: '#a', nick: 'srv', modes: [{ mode: '+o', param: 'Alice' }] });
    client.emit('mode', { target: '#a', nick: 'srv', modes: [{ mode: '+o', param: 'Bob' }] });
    await sent();
    client.emit('quit', { nick: 'Alice', message: SPLIT });
    client.emit('quit', { nick: 'Bob', message: SPLIT });
    join('Alice', '#a');
    // The server gives Alice her op again: the same level the ghost has (core sends no change).
    client.emit('mode', { target: '#a', nick: 'srv', modes: [{ mode: '+o', param: 'Alice' }] });
    expect(await sent()).toEqual(['levels net/#a net_alice=50']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await sent()).toEqual([`leave net_bob net/#a (${SPLIT})`, 'levels net/#a net_bob=0']);
  });

  it('ordinary quits, and every quit with a grace of 0, leave at once', async () => {
    const { client, sent, join } = listener(['#a']);
    join('Alice', '#a');
    await sent();
    client.emit('quit', { nick: 'Alice', message: 'Quit: irc.a.net irc.b.net' });
    expect(await sent()).toEqual(['leave net_alice net/#a (Quit: irc.a.net irc.b.net)']);

    const off = listener(['#a'], 0);
    off.join('Alice', '#a');
    await off.sent();
    off.client.emit('quit', { nick: 'Alice', message: SPLIT });
    expect(await off.sent()).toEqual([`leave net_alice net/#a (${SPLIT})`]);
  });

  it('someone taking a held nick joins no second ghost; it does not leave when the grace ends', async () => {
    const { client, sent, join } = listener(['#a']);
    join('Alice', '#a');
    join('Carl', '#a');
    await sent();
    client.emit('quit', { nick: 'Alice', message: SPLIT });
    client.emit('nick', { nick: 'Carl', new_nick: 'Alice' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await sent()).toEqual(['leave net_carl net/#a (now known as Alice)']);
  });

  it('holds are stored, and a restarted bridge sends the leaves of those still gone (and of those who left while it was down)', async () => {
    const first = listener(['#a']);
    first.join('Alice', '#a');
    first.join('Bob', '#a');
    await first.sent();
    first.client.emit('quit', { nick: 'Alice', message: SPLIT });
    first.client.emit('quit', { nick: 'Bob', message: SPLIT });
    await first.sent();
    first.irc.stop();
    const stored = first.saved.at(-1)!;
    expect(stored.map((h) => h.nick)).toEqual(['Alice', 'Bob']);

    // The bridge restarts 10 s later; Bob is back by its first NAMES, Alice is not; Carol (who
    // was in the channel too) parted while the bridge was down, so her ghost is still in the room.
    await vi.advanceTimersByTimeAsync(10_000);
    const second = listener(['#a'], 60, ['alice', 'bob', 'carol']);
    second.irc.restoreHolds(readHolds(JSON.parse(JSON.stringify(stored))));
    second.client.emit('userlist', {
      channel: '#a',
      users: [{ nick: 'Bob' }, { nick: 'switchboard' }],
    });
    expect(await second.sent()).toEqual([
      'levels net/#a ',
      'leave net_carol net/#a (left while the bridge was away)',
    ]);
    second.client.emit('userlist', { channel: '#a', users: [{ nick: 'switchboard' }] });
    expect(await second.sent()).toContain('leave net_bob net/#a (left meanwhile)'); // later NAMES: as before
    await vi.advanceTimersByTimeAsync(50_000);
    expect(await second.sent()).toEqual([`leave net_alice net/#a (${SPLIT})`]);
    await vi.advanceTimersByTimeAsync(1); // the store is written on the next turn
    expect(second.saved.at(-1)).toEqual([]);
  });
});
