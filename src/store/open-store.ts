/**
 * Opens the store named by a URL, migrates it to the latest schema, and
 * assembles the repositories. SQLite (a file path, `sqlite:path` or
 * `:memory:`) is the default; `postgres://` / `postgresql://` selects PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Dialect,
  type SqliteDatabase as SqliteKyselyDatabase,
} from 'kysely';
import pg from 'pg';
import { createGhosts } from './ghosts.js';
import { Checkpointer } from './checkpointer.js';
import { commitModes } from './commit-modes.js';
import { GroupCommit } from './group-commit.js';
import { createInbox } from './inbox.js';
import { lockPostgres, lockSqlite, type PostgresLockEvents } from './instance-lock.js';
import { createKeyValue } from './kv.js';
import { createMessageMap, MappingStatements, PendingMappings } from './message-map.js';
import { migrationProvider } from './migrations/index.js';
import { createOutbox } from './outbox.js';
import { createPortals } from './portals.js';
import { createStatusQueries } from './status-queries.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  log?: (msg: string) => void;
  /** PostgreSQL only: what happens to the instance lock after start (see PostgresLockEvents). */
  lockEvents?: PostgresLockEvents;
}

const INT8_OID = 20;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** `sqlite:///abs`, `sqlite://rel`, `sqlite:rel` and a bare path all name a file. */
export function sqlitePath(url: string): string {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  return url;
}

function sqliteDialect(path: string): Dialect {
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL: commits write the log without syncing it on this thread; a write that must reach the
  // disk (an inbox transaction, before the homeserver gets its 200) awaits WalSync after its commit.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Deleted and overwritten rows are zeroed in the pages written anyway (FAST: no more I/O): else a
  // scrubbed secret (a redacted command in the inbox, a replaced kv value) stays in the file.
  sqlite.pragma('secure_delete = FAST');
  // The checkpointer's thread does checkpoints (a file's only: memory has no log).
  if (path !== ':memory:') sqlite.pragma('wal_autocheckpoint = 0');
  return new SqliteDialect({ database: cachePreparedStatements(sqlite) });
}

const ALREADY_ROLLED_BACK = {
  reader: false,
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
} as unknown as SqliteDatabase.Statement;

/**
 * Kysely's SQLite driver prepares every query anew; this keeps the statements of recent SQL texts.
 * A statement still being iterated (a stream) is busy, and then a fresh one is made.
 */
function cachePreparedStatements(db: SqliteDatabase.Database, max = 200): SqliteKyselyDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      // SQLite rolls a transaction back by itself on some errors (a full disk); Kysely's ROLLBACK
      // would then fail and its error would hide the one that says why.
      if (sql === 'rollback' && !db.inTransaction) return ALREADY_ROLLED_BACK;
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        cache.delete(sql); // re-insert: the Map's order doubles as recency
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      if (!hit) {
        cache.set(sql, stmt);
        if (cache.size > max) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}

function postgresDialect(url: string): Dialect {
  const pool = new pg.Pool({
    connectionString: url,
    // Times and ids are bigint; pg returns int8 as strings by default. Parse
    // them as numbers for this pool only (ms timestamps and ids stay far below
    // 2^53), leaving pg's global parsers alone.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that breaks (PostgreSQL restarted) is an 'error' on the pool, which would
  // crash the process unheard; the pool drops it, and the next query reports any lasting problem.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('no schema: the search_path names none that exists');
  return schema;
}

/** Where the store lives, without credentials, for the log. */
export function describeDatabase(url: string): string {
  if (!isPostgresUrl(url)) return `sqlite ${sqlitePath(url)}`;
  const u = new URL(url);
  return `postgres ${u.host}${u.pathname}`;
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const log = opts.log ?? (() => {});
  const postgres = isPostgresUrl(url);
  const path = postgres ? undefined : sqlitePath(url);
  if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const lock = postgres
    ? await lockPostgres(url, opts.lockEvents ?? { lost() {}, back() {}, taken() {} })
    : path !== ':memory:'
      ? lockSqlite(path!)
      : undefined;
  let db: Kysely<Database>;
  try {
    db = new Kysely<Database>({
      dialect: postgres ? postgresDialect(url) : sqliteDialect(path!),
    });
  } catch (err) {
    await lock?.release();
    throw err;
  }
  try {
    const { error, results } = await new Migrator({
      db,
      provider: migrationProvider,
      // Kysely looks for its tables in any schema unless told which: with two bridges in two
      // schemas of one database, it would find the other's and never make its own.
      ...(postgres ? { migrationTableSchema: await currentSchema(db) } : {}),
    }).migrateToLatest();
    for (const r of results ?? []) {
      if (r.status === 'Success') log(`store: applied migration ${r.migrationName}`);
      if (r.status === 'Error') log(`store: migration ${r.migrationName} failed`);
    }
    if (error)
      throw new Error(
        `store migration failed on ${describeDatabase(url)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
  } catch (err) {
    await db.destroy();
    await lock?.release();
    throw err;
  }
  log(`store: ${describeDatabase(url)} ready`);

  const checkpointer =
    path && path !== ':memory:'
      ? new Checkpointer(path, (error) => log(`store: a WAL checkpoint failed: ${error}`))
      : undefined;
  const writes = new GroupCommit(db, commitModes(postgres ? 'postgres' : 'sqlite', path));
  const pendingMappings = new PendingMappings();
  const mappings = new MappingStatements();
  const kv = createKeyValue(db, writes);
  return {
    dialect: postgres ? 'postgres' : 'sqlite',
    inbox: createInbox(db, writes),
    outbox: createOutbox(db, writes, pendingMappings, mappings),
    portals: createPortals(db),
    ghosts: createGhosts(db),
    messages: createMessageMap(db, writes, pendingMappings, mappings),
    kv,
    status: createStatusQueries(db, postgres ? 'postgres' : 'sqlite'),
    probeWrite: () => kv.set('core', 'write-probe', new Date().toISOString()),
    close: async () => {
      await writes.close();
      await checkpointer?.stop();
      await db.destroy(); // the last connection to close checkpoints what is left
      await lock?.release();
    },
  };
}
