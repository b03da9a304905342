import { describe, expect, it } from 'vitest';
import { MatrixClient } from '../../src/matrix/client.js';
import { MatrixError, isTransient } from '../../src/matrix/errors.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import { silentLog } from './helpers.js';
import {
  hs,
  client,
  FAST_RETRY,
  ALICE,
  BOT,
  G1,
  G2,
  newClient,
  rejection,
  publicRoom,
  useFakeHomeserver,
} from './client-fixture.js';

useFakeHomeserver();

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
