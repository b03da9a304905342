/** Opening the database at start: taking its lock, checking it is writable, its instance id. */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { DatabaseInUseError } from '../store/instance-lock.js';
import { describeDatabase, openStore } from '../store/open-store.js';
import { describeStoreError } from '../store/store-errors.js';
import type { Store } from '../store/store.js';
import { EXIT, StartupError } from './startup-checks.js';

/**
 * Opens and write-probes the configured database; failures are a StartupError with the database
 * exit code. `where` describes the database without its password, for logs.
 */
export async function openDatabase(
  database: Config['database'],
  log: Logger,
): Promise<{ store: Store; where: string }> {
  const where = describeDatabase(database); // no password in it
  let store: Store;
  try {
    store = await openStore(database, {
      lockEvents: {
        lost: (err) =>
          log.warn({ err, database: where }, 'lost the database lock; taking it again'),
        back: () => log.info({ database: where }, 'holding the database lock again'),
        taken: (err) =>
          log.error(
            { err, database: where },
            'another switchboard took the database while this one was cut off from it: stop one of them',
          ),
      },
    });
  } catch (err) {
    const why = err instanceof DatabaseInUseError ? err.message : describeStoreError(err);
    throw new StartupError(`cannot open the database (${where}): ${why}`, EXIT.database);
  }
  try {
    await store.probeWrite();
  } catch (err) {
    await store.close().catch(() => undefined); // no one else holds it yet
    throw new StartupError(
      `cannot write to the database (${where}): ${describeStoreError(err)}`,
      EXIT.database,
    );
  }
  return { store, where };
}

/** A random id made once per database, kept in core's key-value namespace. */
export async function storeInstanceId(store: Store): Promise<string> {
  let id = await store.kv.get('core', 'instance-id');
  if (!id) await store.kv.set('core', 'instance-id', (id = randomBytes(6).toString('base64url')));
  return id;
}
