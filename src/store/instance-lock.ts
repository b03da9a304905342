/**
 * One bridge per database: two would each take every transaction and bridge it twice. The lock is
 * the operating system's or the database's own, so a bridge that dies (kill -9) releases it.
 * - SQLite: an exclusive lock on a small lock file beside the database (`<file>.lock`), held by an
 *   SQLite connection in exclusive locking mode (SQLite's own file locks, which also see other
 *   connections of the same process).
 * - PostgreSQL: a session advisory lock (one per schema), held by a connection of its own.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

export interface InstanceLock {
  release(): Promise<void>;
}

/** Another switchboard holds the lock. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
}

/**
 * The advisory lock's key: the same in every version, one per schema (bridges may share a
 * database, each with its own schema on its search_path).
 */
const ADVISORY_KEY_SQL = "hashtextextended('switchboard:' || coalesce(current_schema(), ''), 0)";

export function lockSqlite(path: string): InstanceLock {
  const file = `${path}.lock`;
  const db = new SqliteDatabase(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; exclusive mode keeps it until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new DatabaseInUseError(
        `another switchboard is using ${path} (it holds ${file}): stop it first, or give this one its own database`,
      );
    throw err;
  }
  return {
    release: async () => {
      db.close();
    },
  };
}

export interface PostgresLockEvents {
  /** The connection holding the lock went (PostgreSQL restarted, the network): so did the lock. */
  lost(err: Error): void;
  /** Taken again after it was lost. */
  back(): void;
  /** Another switchboard took it meanwhile. */
  taken(err: DatabaseInUseError): void;
}

/** Held on a connection of its own; taken again, every few seconds, after that connection goes. */
export async function lockPostgres(
  url: string,
  events: PostgresLockEvents,
  retryMs = 2_000,
): Promise<InstanceLock> {
  let client: pg.Client | undefined;
  let released = false;
  let retry: NodeJS.Timeout | undefined;

  const take = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {}); // reported through 'end' below
    await c.connect();
    const { rows } = await c
      .query<{
        locked: boolean;
        schema: string | null;
      }>(`SELECT pg_try_advisory_lock(${ADVISORY_KEY_SQL}) AS locked, current_schema() AS schema`)
      .catch(async (err: unknown) => {
        await c.end().catch(() => undefined);
        throw err;
      });
    if (!rows[0]?.locked) {
      await c.end().catch(() => undefined);
      const u = new URL(url);
      throw new DatabaseInUseError(
        `another switchboard is using the database ${u.host}${u.pathname} (schema ${rows[0]?.schema ?? 'none'}; it holds the advisory lock): stop it first, or give this one its own database`,
      );
    }
    client = c;
    c.once('end', () => {
      if (released || client !== c) return;
      client = undefined;
      events.lost(new Error('the connection holding the database lock closed'));
      retry = setTimeout(again, retryMs);
    });
  };
  const again = () => {
    take().then(
      () => events.back(),
      (err: unknown) => {
        if (err instanceof DatabaseInUseError) return events.taken(err);
        if (!released) retry = setTimeout(again, retryMs);
      },
    );
  };

  await take();
  return {
    release: async () => {
      released = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
