/**
 * Core's ghosts against a (fake) homeserver, for unit tests: a Matrix client, ghost rows kept in
 * memory instead of a store, intents and the ghost directory over them.
 */
import type { Logger } from 'pino';
import { MatrixClient, type MatrixClientOptions } from '../../src/matrix/client.js';
import { IntentCache } from '../../src/matrix/intent.js';
import type { GhostRow, Store } from '../../src/store/store.js';
import { GhostDirectory } from '../../src/core/ghosts.js';
import type { FakeHomeserver } from './fake-homeserver.js';

export function ghostsInMemory(
  hs: FakeHomeserver,
  log: Logger,
  retry: MatrixClientOptions['retry'],
): { client: MatrixClient; store: Store; ghosts: GhostDirectory } {
  const client = new MatrixClient({ homeserverUrl: hs.url, asToken: hs.asToken, log, retry });
  const rows = new Map<string, GhostRow>();
  const store = {
    ghosts: {
      get: async (userId: string) => rows.get(userId),
      upsert: async (row: GhostRow) => void rows.set(row.userId, row),
    },
  } as unknown as Store;
  const intents = new IntentCache({ client, botUserId: hs.senderUserId, log });
  return { client, store, ghosts: new GhostDirectory(store, intents) };
}
