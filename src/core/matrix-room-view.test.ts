import { describe, expect, it } from 'vitest';
import { readMatrixRoom } from './matrix-room-view.js';

const ROOM = '!room:example.org';
const state = (type: string, content: Record<string, unknown>, stateKey = '') => ({
  type,
  state_key: stateKey,
  sender: '@olga:example.org',
  content,
});

/** A homeserver with one room, `#lobby:example.org`, whose state is `events`. */
const client = (events: ReturnType<typeof state>[]) => ({
  resolveAlias: async (alias: string) =>
    alias === '#lobby:example.org' ? { roomId: ROOM, servers: ['example.org'] } : undefined,
  join: async (roomId: string) => roomId,
  roomState: async () => events as never,
});

describe('readMatrixRoom', () => {
  it('reads the canonical alias, join rule and joined members, by alias or room id', async () => {
    const c = client([
      state('m.room.canonical_alias', { alias: '#Lobby:example.org' }),
      state('m.room.join_rules', { join_rule: 'public' }),
      state('m.room.member', { membership: 'join', displayname: 'Olga' }, '@olga:example.org'),
      state('m.room.member', { membership: 'invite' }, '@quinn:example.org'),
    ]);
    const view = await readMatrixRoom(c, '#lobby:example.org');
    expect(view).toMatchObject({
      roomId: ROOM,
      canonicalAlias: '#Lobby:example.org',
      joinRule: 'public',
      members: [{ userId: '@olga:example.org', displayName: 'Olga', powerLevel: 0 }],
    });
    expect((await readMatrixRoom(c, ROOM))?.canonicalAlias).toBe('#Lobby:example.org');
    expect(await readMatrixRoom(c, '#nowhere:example.org')).toBeUndefined();
  });

  it('has no canonical alias when the room has none, or a malformed one', async () => {
    expect((await readMatrixRoom(client([]), ROOM))?.canonicalAlias).toBeUndefined();
    const odd = client([state('m.room.canonical_alias', { alias: 'not an alias' })]);
    expect((await readMatrixRoom(odd, ROOM))?.canonicalAlias).toBeUndefined();
  });

  it('joins and reads the room as the user asked for (a ghost the room invited), else as the bot', async () => {
    const calls: string[] = [];
    const c = {
      resolveAlias: async () => undefined,
      join: async (roomId: string, asUser?: string) => {
        calls.push(`join ${asUser ?? 'bot'}`);
        return roomId;
      },
      roomState: async (_: string, asUser?: string) => {
        calls.push(`state ${asUser ?? 'bot'}`);
        return [];
      },
    };
    await readMatrixRoom(c, ROOM, '@xmpp_bob:example.org');
    await readMatrixRoom(c, ROOM);
    expect(calls).toEqual([
      'join @xmpp_bob:example.org',
      'state @xmpp_bob:example.org',
      'join bot',
      'state bot',
    ]);
  });

  it('marks the bridge bot and bridges’ ghosts as bridged, not the room’s people', async () => {
    const c = client([
      state('m.room.member', { membership: 'join' }, '@olga:example.org'),
      state('m.room.member', { membership: 'join' }, '@switchboard:example.org'),
      state('m.room.member', { membership: 'join' }, '@irc_bob:example.org'),
    ]);
    const ours = (u: string) => u === '@switchboard:example.org' || u.startsWith('@irc_');
    const view = await readMatrixRoom(c, ROOM, undefined, ours);
    expect(view?.members.map((m) => [m.userId, m.bridged ?? false])).toEqual([
      ['@olga:example.org', false],
      ['@switchboard:example.org', true],
      ['@irc_bob:example.org', true],
    ]);
    // Without the predicate, nobody is marked.
    expect((await readMatrixRoom(c, ROOM))?.members.some((m) => m.bridged)).toBe(false);
  });
});
