import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MatrixClient } from '../../src/matrix/client.js';
import { Intent, IntentCache, localpartOf } from '../../src/matrix/intent.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import { silentLog } from './helpers.js';

let hs: FakeHomeserver;
let client: MatrixClient;
const BOT = '@bridgebot:localhost';
const ALICE = '@alice:localhost';

beforeAll(async () => {
  hs = await FakeHomeserver.start();
  hs.addUser(ALICE);
  client = new MatrixClient({
    homeserverUrl: hs.url,
    asToken: hs.asToken,
    log: silentLog(),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
});
afterAll(() => hs.close());
afterEach(() => {
  hs.requests.length = 0;
});

let n = 0;
const fresh = (maxSize?: number) => ({
  cache: new IntentCache({ client, botUserId: BOT, log: silentLog(), maxSize }),
  ghost: `@test_i${++n}:localhost`,
});
const registerCalls = () => hs.countRequests('POST', /\/register$/);
const joinCalls = (userId: string) =>
  hs.requests.filter((r) => r.method === 'POST' && r.path.includes('/join/') && r.userId === userId)
    .length;

describe('Intent', () => {
  it('registers lazily and only once, even when asked concurrently', async () => {
    const { cache, ghost } = fresh();
    const intent = cache.intentFor(ghost);
    expect(registerCalls()).toBe(0);
    await Promise.all([
      intent.ensureRegistered(),
      intent.ensureRegistered(),
      intent.ensureRegistered(),
    ]);
    await intent.ensureRegistered();
    expect(registerCalls()).toBe(1);
    expect(hs.isRegistered(ghost)).toBe(true);
  });

  it('treats an existing user as registered (M_USER_IN_USE)', async () => {
    const { ghost } = fresh();
    await client.register(localpartOf(ghost));
    const intent = new Intent(client, ghost, { log: silentLog() });
    await expect(intent.ensureRegistered()).resolves.toBeUndefined();
  });

  it('tries registering again after a failure', async () => {
    const { cache, ghost } = fresh();
    const intent = cache.intentFor(ghost);
    hs.failNext({ path: '/register', status: 400, body: { errcode: 'M_UNKNOWN', error: 'nope' } });
    await expect(intent.ensureRegistered()).rejects.toMatchObject({ status: 400 });
    await intent.ensureRegistered();
    expect(registerCalls()).toBe(2);
  });

  it('skips the register call after markRegistered', async () => {
    const { cache, ghost } = fresh();
    await client.register(localpartOf(ghost));
    hs.requests.length = 0;
    const intent = cache.intentFor(ghost);
    intent.markRegistered();
    await intent.ensureRegistered();
    expect(registerCalls()).toBe(0);
  });

  it('registers after all when markRegistered was wrong', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'public_chat' });
    const intent = cache.intentFor(ghost);
    intent.markRegistered(); // but it is not
    await intent.ensureJoined(roomId);
    expect(hs.isRegistered(ghost)).toBe(true);
    expect(hs.membership(roomId, ghost)).toBe('join');
  });

  it('registers and joins before sending, then sends without asking again', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'public_chat' });
    const intent = cache.intentFor(ghost);
    const first = await intent.sendEvent(
      roomId,
      'm.room.message',
      { body: 'one' },
      `${ghost}-1`,
      1_650_000_000_000,
    );
    await intent.sendEvent(roomId, 'm.room.message', { body: 'two' }, `${ghost}-2`);
    expect(registerCalls()).toBe(2); // the bot and the ghost
    expect(joinCalls(ghost)).toBe(1);
    expect(intent.isJoined(roomId)).toBe(true);
    expect(hs.events(roomId).find((e) => e.event_id === first)).toMatchObject({
      sender: ghost,
      origin_server_ts: 1_650_000_000_000,
    });
  });

  it('shares one join among concurrent callers', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'public_chat' });
    const intent = cache.intentFor(ghost);
    await Promise.all([
      intent.ensureJoined(roomId),
      intent.ensureJoined(roomId),
      intent.ensureJoined(roomId),
    ]);
    expect(joinCalls(ghost)).toBe(1);
  });

  it('asks the bot for an invite when the join is refused, then joins', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'private_chat' });
    const intent = cache.intentFor(ghost);
    await intent.sendEvent(roomId, 'm.room.message', { body: 'hi' }, `${ghost}-inv`);
    expect(joinCalls(ghost)).toBe(2);
    expect(hs.countRequests('POST', /\/invite$/)).toBe(1);
    expect(hs.membership(roomId, ghost)).toBe('join');
  });

  it('has the bot join first when it can, and fails clearly when nobody can get in', async () => {
    const { cache, ghost } = fresh();
    const open = hs.createRoom(ALICE, { preset: 'public_chat' });
    hs.world.putState(open, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' });
    hs.invite(open, ALICE, BOT);
    await cache.intentFor(ghost).ensureJoined(open); // the bot accepts its invite, then invites the ghost
    expect(hs.membership(open, BOT)).toBe('join');
    expect(hs.membership(open, ghost)).toBe('join');

    const closed = hs.createRoom(ALICE, { preset: 'private_chat' });
    await expect(cache.intentFor(ghost).ensureJoined(closed)).rejects.toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
    });
    expect(cache.intentFor(ghost).isJoined(closed)).toBe(false);
  });

  it('follows membership events it is told about', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'public_chat' });
    const intent = cache.intentFor(ghost);
    await intent.ensureJoined(roomId);
    hs.world.leave(roomId, ghost);
    cache.noteMembership(ghost, roomId, 'leave');
    expect(intent.isJoined(roomId)).toBe(false);
    await intent.ensureJoined(roomId);
    expect(joinCalls(ghost)).toBe(2);
    cache.noteMembership(ghost, '!other:localhost', 'join');
    expect(intent.isJoined('!other:localhost')).toBe(true);
  });

  it('re-joins once when a send fails because the membership cache was stale', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'private_chat' });
    const intent = cache.intentFor(ghost);
    await intent.ensureJoined(roomId);
    await client.kick(roomId, ghost, 'behind our back'); // no noteMembership: the cache still says joined
    const eventId = await intent.sendEvent(
      roomId,
      'm.room.message',
      { body: 'back' },
      `${ghost}-stale`,
    );
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.sender).toBe(ghost);
  });

  it('sends a profile change only when it differs from the last one', async () => {
    const { cache, ghost } = fresh();
    const intent = cache.intentFor(ghost);
    await intent.setDisplayName('Alice (IRC)');
    await intent.setDisplayName('Alice (IRC)');
    await intent.setAvatarUrl('mxc://localhost/a');
    await intent.setAvatarUrl('mxc://localhost/a');
    expect(hs.countRequests('PUT', /\/displayname$/)).toBe(1);
    expect(hs.countRequests('PUT', /\/avatar_url$/)).toBe(1);
    await intent.setDisplayName('Alice');
    expect(hs.countRequests('PUT', /\/displayname$/)).toBe(2);
    expect(hs.profile(ghost)).toEqual({ displayname: 'Alice', avatar_url: 'mxc://localhost/a' });
  });

  it('acts in rooms: state, typing, receipts, redactions, leave', async () => {
    const { cache, ghost } = fresh();
    const roomId = await cache.bot.createRoom({ preset: 'public_chat' });
    const intent = cache.intentFor(ghost);
    const eventId = await intent.sendEvent(roomId, 'm.room.message', { body: 'x' }, `${ghost}-a`);
    await intent.sendState(roomId, 'm.room.member', ghost, {
      membership: 'join',
      displayname: 'In this room',
    });
    expect(hs.state(roomId, 'm.room.member', ghost)).toMatchObject({ displayname: 'In this room' });
    await intent.setTyping(roomId, true);
    expect(hs.typing(roomId)).toEqual([ghost]);
    await intent.sendReceipt(roomId, eventId);
    await intent.redact(roomId, eventId, `${ghost}-r`);
    await intent.leave(roomId);
    expect(intent.isJoined(roomId)).toBe(false);
    expect(hs.membership(roomId, ghost)).toBe('leave');
  });
});

describe('IntentCache', () => {
  it('returns one intent per user and the bot for the bot', () => {
    const { cache, ghost } = fresh();
    expect(cache.intentFor(ghost)).toBe(cache.intentFor(ghost));
    expect(cache.intentFor(BOT)).toBe(cache.bot);
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used ghost beyond its bound', () => {
    const { cache } = fresh(2);
    const a = cache.intentFor('@test_a:localhost');
    const b = cache.intentFor('@test_b:localhost');
    expect(cache.intentFor('@test_a:localhost')).toBe(a); // a is now the most recent
    cache.intentFor('@test_c:localhost');
    expect(cache.size).toBe(2);
    expect(cache.intentFor('@test_a:localhost')).toBe(a);
    expect(cache.intentFor('@test_b:localhost')).not.toBe(b);
  });

  it('stays flat with thousands of ghosts', () => {
    const { cache } = fresh(100);
    for (let i = 0; i < 5_000; i++) cache.intentFor(`@test_many${i}:localhost`);
    expect(cache.size).toBe(100);
  });

  it('does not create intents for membership events of users it does not hold', () => {
    const { cache } = fresh();
    cache.noteMembership('@test_unknown:localhost', '!r:localhost', 'join');
    expect(cache.size).toBe(0);
  });
});
