import { describe, expect, it } from 'vitest';
import { MatrixConnectionError, MatrixError, isTransient } from '../../src/matrix/errors.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import {
  hs,
  client,
  BOT,
  G1,
  newClient,
  rejection,
  publicRoom,
  useFakeHomeserver,
} from './client-fixture.js';

useFakeHomeserver();

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
