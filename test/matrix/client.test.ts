import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MatrixClient } from '../../src/matrix/client.js';
import { MatrixConnectionError, MatrixError, isTransient } from '../../src/matrix/errors.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import { silentLog } from './helpers.js';

const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 };

let hs: FakeHomeserver;
let client: MatrixClient;
const ALICE = '@alice:localhost';
const BOT = '@bridgebot:localhost';
const G1 = '@test_g1:localhost';
const G2 = '@test_g2:localhost';

const newClient = (over: Partial<ConstructorParameters<typeof MatrixClient>[0]> = {}) =>
  new MatrixClient({
    homeserverUrl: hs.url,
    asToken: hs.asToken,
    log: silentLog(),
    retry: FAST_RETRY,
    ...over,
  });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  hs = await FakeHomeserver.start();
  client = newClient();
  hs.addUser(ALICE, { displayname: 'Alice' });
  await client.register('test_g1');
  await client.register('test_g2');
});
afterAll(() => hs.close());
afterEach(() => {
  hs.requests.length = 0;
});

/** A public room made by the bot, with the two ghosts joined. */
async function publicRoom(): Promise<string> {
  const roomId = await client.createRoom({ preset: 'public_chat' });
  await client.join(roomId, G1);
  await client.join(roomId, G2);
  return roomId;
}

describe('basics and identity assertion', () => {
  it('reads /versions and whoami, as the bot and as a ghost', async () => {
    expect((await client.versions()).versions).toContain('v1.1');
    expect(await client.whoami()).toMatchObject({ user_id: BOT });
    expect(await client.whoami(G1)).toMatchObject({ user_id: G1 });
    expect(hs.requests.at(-1)).toMatchObject({ query: `?user_id=${encodeURIComponent(G1)}` });
  });

  it('sends the token only in the Authorization header', async () => {
    await client.whoami(G1);
    await client.sendEvent(await publicRoom(), 'm.room.message', { body: 'x' }, 'tok-check', G1);
    expect(hs.requests.length).toBeGreaterThan(3);
    for (const r of hs.requests) expect(r.query).not.toContain('access_token');
  });

  it('registers once; M_USER_IN_USE counts as success', async () => {
    expect(await client.register('test_new')).toEqual({ created: true });
    expect(await client.register('test_new')).toEqual({ created: false });
    expect(hs.isRegistered('@test_new:localhost')).toBe(true);
  });

  it('throws a typed MatrixError at once for other 4xx', async () => {
    const outside = await rejection(client.register('outsider'));
    expect(outside).toBeInstanceOf(MatrixError);
    expect(outside).toMatchObject({ status: 400, errcode: 'M_EXCLUSIVE' });
    const masquerade = await rejection(client.whoami(ALICE));
    expect(masquerade).toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: expect.stringContaining('cannot masquerade'),
    });
    const unregistered = await rejection(client.whoami('@test_never:localhost'));
    expect(unregistered).toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: expect.stringContaining('has not registered'),
    });
    expect(isTransient(unregistered)).toBe(false);
    expect(hs.countRequests('GET', /whoami/)).toBe(2); // no retries
  });

  it('reports a wrong as_token as 401 M_UNKNOWN_TOKEN', async () => {
    const err = await rejection(newClient({ asToken: 'wrong' }).whoami());
    expect(err).toMatchObject({ status: 401, errcode: 'M_UNKNOWN_TOKEN' });
  });
});

describe('retries', () => {
  it('honours retry_after_ms of a 429, then succeeds', async () => {
    const roomId = await publicRoom();
    hs.failNext({
      path: '/send/',
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 3 },
    });
    const eventId = await client.sendEvent(
      roomId,
      'm.room.message',
      { body: 'after 429' },
      'r429a',
      G1,
    );
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.content.body).toBe('after 429');
    expect(hs.countRequests('PUT', /\/send\//)).toBe(2);
  });

  it('honours a Retry-After header in seconds', async () => {
    const roomId = await publicRoom();
    hs.failNext({
      path: '/send/',
      status: 429,
      headers: { 'retry-after': '0' },
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down' },
    });
    await client.sendEvent(roomId, 'm.room.message', { body: 'x' }, 'r429b', G1);
    expect(hs.countRequests('PUT', /\/send\//)).toBe(2);
  });

  it('throws at once, with retryAfterMs, when the wait is longer than it will sleep', async () => {
    hs.failNext({
      path: 'whoami',
      status: 429,
      headers: { 'retry-after': '120' },
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'x' },
    });
    expect(await rejection(client.whoami())).toMatchObject({
      status: 429,
      errcode: 'M_LIMIT_EXCEEDED',
      retryAfterMs: 120_000,
    });
    const date = new Date(Date.now() + 3_600_000).toUTCString();
    hs.failNext({
      path: 'whoami',
      status: 429,
      headers: { 'retry-after': date },
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'x' },
    });
    const err = (await rejection(client.whoami())) as MatrixError;
    expect(err.retryAfterMs).toBeGreaterThan(3_000_000);
    hs.failNext({
      path: 'whoami',
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'x', retry_after_ms: 5_000 },
    });
    expect(await rejection(client.whoami())).toMatchObject({ status: 429, retryAfterMs: 5_000 });
    expect(hs.countRequests('GET', /whoami/)).toBe(3);
  });

  it('gives up on 429 after maxAttempts, with the error typed as transient', async () => {
    hs.failNext({
      path: 'whoami',
      times: 4,
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'x', retry_after_ms: 1 },
    });
    const err = await rejection(client.whoami());
    expect(err).toMatchObject({ status: 429, retryAfterMs: 1 });
    expect(isTransient(err)).toBe(true);
    expect(hs.countRequests('GET', /whoami/)).toBe(4);
  });

  it('retries 5xx with backoff', async () => {
    hs.failNext({ path: 'whoami', times: 2, status: 502, body: '<html>Bad Gateway</html>' });
    expect(await client.whoami()).toMatchObject({ user_id: BOT });
    expect(hs.countRequests('GET', /whoami/)).toBe(3);
  });

  it('throws the last 5xx when every attempt fails', async () => {
    hs.failNext({
      path: 'whoami',
      times: 4,
      status: 500,
      body: { errcode: 'M_UNKNOWN', error: 'Internal server error' },
    });
    expect(await rejection(client.whoami())).toMatchObject({
      status: 500,
      errcode: 'M_UNKNOWN',
      error: 'Internal server error',
    });
    hs.failNext({ path: 'whoami', status: 503, body: 'Service Unavailable' });
    expect(await rejection(newClient({ retry: { maxAttempts: 1 } }).whoami())).toMatchObject({
      status: 503,
      errcode: 'M_UNKNOWN',
    });
  });

  it('retries network errors', async () => {
    hs.failNext({ path: 'whoami', times: 2, drop: true });
    expect(await client.whoami()).toMatchObject({ user_id: BOT });
    expect(hs.countRequests('GET', /whoami/)).toBe(3);
  });

  it('throws MatrixConnectionError when the homeserver cannot be reached', async () => {
    const closed = await FakeHomeserver.start();
    const url = closed.url;
    await closed.close();
    const err = await rejection(newClient({ homeserverUrl: url }).whoami());
    expect(err).toBeInstanceOf(MatrixConnectionError);
    expect(err).toMatchObject({ notSent: true });
    expect(isTransient(err)).toBe(true);
  });

  it('times a request out', async () => {
    hs.failNext({ path: 'whoami', hang: true });
    const err = await rejection(newClient({ timeoutMs: 100, retry: { maxAttempts: 1 } }).whoami());
    expect(err).toBeInstanceOf(MatrixConnectionError);
    expect((err as Error).message).toMatch(/timed out/);
  });

  it('does not repeat createRoom after a 5xx or a dropped connection, but does after a 429', async () => {
    hs.failNext({ path: 'createRoom', status: 500 });
    expect(await rejection(client.createRoom({}))).toMatchObject({ status: 500 });
    hs.failNext({ path: 'createRoom', drop: true });
    expect(await rejection(client.createRoom({}))).toBeInstanceOf(MatrixConnectionError);
    expect(hs.countRequests('POST', /createRoom/)).toBe(2);
    hs.failNext({
      path: 'createRoom',
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'x', retry_after_ms: 1 },
    });
    expect(await client.createRoom({})).toMatch(/^!/);
    expect(hs.countRequests('POST', /createRoom/)).toBe(4);
  });
});

describe('rooms and events', () => {
  it('sends with ?ts= and gets the same event back for a repeated txnId, whoever sends it', async () => {
    const roomId = await publicRoom();
    const first = await client.sendEvent(
      roomId,
      'm.room.message',
      { body: 'one' },
      'dup1',
      G1,
      1_600_000_000_000,
    );
    const again = await client.sendEvent(roomId, 'm.room.message', { body: 'two' }, 'dup1', G2);
    expect(again).toBe(first); // Synapse dedupes per appservice and path, not per user
    const event = hs.events(roomId).find((e) => e.event_id === first)!;
    expect(event).toMatchObject({
      sender: G1,
      origin_server_ts: 1_600_000_000_000,
      content: { body: 'one' },
    });
  });

  it('refuses to send for a user who is not in the room', async () => {
    const roomId = await client.createRoom({});
    expect(
      await rejection(client.sendEvent(roomId, 'm.room.message', { body: 'x' }, 'nir', G1)),
    ).toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: `User ${G1} not in room ${roomId}`,
    });
  });

  it('encodes every path segment', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(
      roomId,
      'org.example/odd type?#',
      { body: 'x' },
      'txn/with?odd#chars',
      G1,
    );
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.type).toBe(
      'org.example/odd type?#',
    );
    await client.putState(roomId, 'org.example.state', 'key/with spaces', { v: 1 });
    expect(await client.getState(roomId, 'org.example.state', 'key/with spaces')).toEqual({ v: 1 });
  });

  it('puts and gets state, with an empty state key and ?ts=', async () => {
    const roomId = await publicRoom();
    const eventId = await client.putState(
      roomId,
      'm.room.topic',
      '',
      { topic: 'hello' },
      undefined,
      1_500_000_000_000,
    );
    expect(await client.getState(roomId, 'm.room.topic', '')).toEqual({ topic: 'hello' });
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.origin_server_ts).toBe(
      1_500_000_000_000,
    );
    expect(await client.getState(roomId, 'm.room.avatar', '')).toBeUndefined();
  });

  it('redacts', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(roomId, 'm.room.message', { body: 'oops' }, 'red1', G1);
    const redaction = await client.redact(roomId, eventId, 'red1-r', 'typo', G1);
    expect(hs.events(roomId).find((e) => e.event_id === redaction)).toMatchObject({
      type: 'm.room.redaction',
      redacts: eventId,
      content: { reason: 'typo' },
    });
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.content).toEqual({});
  });

  it('invites, joins, kicks, bans, unbans and leaves', async () => {
    const roomId = await client.createRoom({ preset: 'private_chat' });
    expect(await rejection(client.join(roomId, G1))).toMatchObject({
      status: 403,
      error: 'You are not invited to this room.',
    });
    await client.invite(roomId, G1);
    expect(await client.join(roomId, G1)).toBe(roomId);
    await client.kick(roomId, G1, 'bye');
    expect(hs.membership(roomId, G1)).toBe('leave');
    await client.ban(roomId, G1, 'spam');
    expect(hs.membership(roomId, G1)).toBe('ban');
    await client.unban(roomId, G1);
    expect(hs.membership(roomId, G1)).toBe('leave');
    await client.invite(roomId, G2);
    await client.join(roomId, G2);
    await client.leave(roomId, G2);
    await client.leave(roomId, G2); // twice is fine, as in Synapse
    expect(hs.joinedMembers(roomId)).toEqual([BOT]);
  });

  it('joins by alias, and manages aliases', async () => {
    const roomId = await client.createRoom({ preset: 'public_chat' });
    await client.createAlias('#test_room:localhost', roomId);
    expect(await client.resolveAlias('#test_room:localhost')).toEqual({
      roomId,
      servers: ['localhost'],
    });
    expect(await client.join('#test_room:localhost', G1, ['localhost'])).toBe(roomId);
    expect(hs.requests.at(-1)?.query).toContain('via=localhost');
    await client.deleteAlias('#test_room:localhost');
    expect(await client.resolveAlias('#test_room:localhost')).toBeUndefined();
    expect(await rejection(client.join('#nope:localhost', G1))).toMatchObject({
      status: 404,
      errcode: 'M_NOT_FOUND',
    });
  });

  it('lists joined members with their profiles', async () => {
    const roomId = await publicRoom();
    await client.setDisplayName(G1, 'Ghost One');
    const members = await client.joinedMembers(roomId);
    expect(Object.keys(members).sort()).toEqual([BOT, G1, G2].sort());
    expect(members[G1]?.display_name).toBe('Ghost One');
  });

  it('sets typing, receipts and presence for the ghost', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(roomId, 'm.room.message', { body: 'x' }, 'typ1', G2);
    await client.setTyping(roomId, G1, true, 30_000);
    expect(hs.typing(roomId)).toEqual([G1]);
    await client.setTyping(roomId, G1, false, 0);
    expect(hs.typing(roomId)).toEqual([]);
    await client.sendReceipt(roomId, eventId, G1);
    expect(hs.receipts(roomId).get(G1)).toBe(eventId);
    await client.setPresence(G1, 'online', 'bridging');
    expect(hs.world.presence.get(G1)).toEqual({ presence: 'online', status_msg: 'bridging' });
  });
});

describe('profiles', () => {
  it('sets and reads a ghost profile, updating its member events', async () => {
    const roomId = await publicRoom();
    await client.setDisplayName(G2, 'Ghost Two');
    await client.setAvatarUrl(G2, 'mxc://localhost/avatar');
    expect(await client.getProfile(G2)).toEqual({
      displayname: 'Ghost Two',
      avatar_url: 'mxc://localhost/avatar',
    });
    expect(hs.state(roomId, 'm.room.member', G2)).toMatchObject({
      membership: 'join',
      displayname: 'Ghost Two',
    });
  });

  it("refuses another user's profile with 400 M_FORBIDDEN, as Synapse", async () => {
    expect(await rejection(client.setDisplayName(G1, 'x', G2))).toMatchObject({
      status: 400,
      errcode: 'M_FORBIDDEN',
    });
    expect(await rejection(client.getProfile('@test_nobody:localhost'))).toMatchObject({
      status: 404,
      errcode: 'M_NOT_FOUND',
    });
  });
});

describe('media', () => {
  it('uploads and downloads through authenticated media', async () => {
    const data = new TextEncoder().encode('hello media');
    const mxc = await client.uploadMedia(data, 'text/plain', 'hello.txt', G1);
    expect(mxc).toMatch(/^mxc:\/\/localhost\//);
    const got = await client.downloadMedia(mxc);
    expect(Buffer.from(got.data).toString()).toBe('hello media');
    expect(got.contentType).toBe('text/plain');
    expect(hs.countRequests('GET', /^\/_matrix\/client\/v1\/media\/download\//)).toBe(1);
  });

  it('falls back to the legacy download path on M_UNRECOGNIZED, and remembers', async () => {
    const old = await FakeHomeserver.start({ authenticatedMedia: false });
    try {
      const oldClient = new MatrixClient({
        homeserverUrl: old.url,
        asToken: old.asToken,
        log: silentLog(),
        retry: FAST_RETRY,
      });
      const mxc = await oldClient.uploadMedia(
        new Uint8Array([1, 2, 3]),
        'application/octet-stream',
      );
      expect(Array.from((await oldClient.downloadMedia(mxc)).data)).toEqual([1, 2, 3]);
      expect(Array.from((await oldClient.downloadMedia(mxc)).data)).toEqual([1, 2, 3]);
      expect(old.countRequests('GET', /^\/_matrix\/client\/v1\/media/)).toBe(1);
      expect(old.countRequests('GET', /^\/_matrix\/media\/v3\/download/)).toBe(2);
    } finally {
      await old.close();
    }
  });

  it('does not fall back for media that does not exist, and refuses oversized media', async () => {
    expect(await rejection(client.downloadMedia('mxc://localhost/nope'))).toMatchObject({
      status: 404,
      errcode: 'M_NOT_FOUND',
    });
    const mxc = await client.uploadMedia(new Uint8Array(2048), 'application/octet-stream');
    expect(await rejection(newClient({ maxDownloadBytes: 1024 }).downloadMedia(mxc))).toMatchObject(
      { status: 413, errcode: 'M_TOO_LARGE' },
    );
    await expect(client.downloadMedia('https://example.org/x')).rejects.toThrow(TypeError);
  });
});
