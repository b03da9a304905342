// A fake homeserver with two registered ghosts and a client for it, shared by the client-*.test.ts files.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MatrixClient } from '../../src/matrix/client.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import { silentLog } from './helpers.js';

export const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 };

export let hs: FakeHomeserver;
export let client: MatrixClient;
export const ALICE = '@alice:localhost';
export const BOT = '@bridgebot:localhost';
export const G1 = '@test_g1:localhost';
export const G2 = '@test_g2:localhost';

export const newClient = (over: Partial<ConstructorParameters<typeof MatrixClient>[0]> = {}) =>
  new MatrixClient({
    homeserverUrl: hs.url,
    asToken: hs.asToken,
    log: silentLog(),
    retry: FAST_RETRY,
    ...over,
  });

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Registers the hooks that start the homeserver before the file's tests and clear its request log. */
export function useFakeHomeserver(): void {
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
}

/** A public room made by the bot, with the two ghosts joined. */
export async function publicRoom(): Promise<string> {
  const roomId = await client.createRoom({ preset: 'public_chat' });
  await client.join(roomId, G1);
  await client.join(roomId, G2);
  return roomId;
}
