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
  type Dialect,
  type SqliteDatabase as SqliteKyselyDatabase,
} from 'kysely';
import pg from 'pg';
import { createGhosts } from './ghosts.js';
import { Checkpointer } from './checkpointer.js';
import { commitModes } from './commit-modes.js';
import { GroupCommit } from './group-commit.js';
import { createInbox } from './inbox.js';
import { createKeyValue } from './kv.js';
import { createMessageMap, PendingMappings } from './message-map.js';
import { migrationProvider } from './migrations/index.js';
import { createOutbox } from './outbox.js';
import { createPortals } from './portals.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  log?: (msg: string) => void;
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
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  // FULL: each inbox transaction reaches the disk before the homeserver gets its 200.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // The checkpointer's thread does checkpoints (a file's only: memory has no log).
  if (path !== ':memory:') sqlite.pragma('wal_autocheckpoint = 0');
  return new SqliteDialect({ database: cachePreparedStatements(sqlite) });
}

/**
 * Kysely's SQLite driver prepares every query anew; this keeps the statements of recent SQL texts.
 * A statement still being iterated (a stream) is busy, and then a fresh one is made.
 */
function cachePreparedStatements(db: SqliteDatabase.Database, max = 200): SqliteKyselyDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
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
  return new PostgresDialect({ pool });
}

/** Where the store lives, without credentials, for the log. */
function describe(url: string): string {
  if (!isPostgresUrl(url)) return `sqlite ${sqlitePath(url)}`;
  const u = new URL(url);
  return `postgres ${u.host}${u.pathname}`;
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const log = opts.log ?? (() => {});
  const postgres = isPostgresUrl(url);
  const db = new Kysely<Database>({
    dialect: postgres ? postgresDialect(url) : sqliteDialect(sqlitePath(url)),
  });
  try {
    const { error, results } = await new Migrator({
      db,
      provider: migrationProvider,
    }).migrateToLatest();
    for (const r of results ?? []) {
      if (r.status === 'Success') log(`store: applied migration ${r.migrationName}`);
      if (r.status === 'Error') log(`store: migration ${r.migrationName} failed`);
    }
    if (error)
      throw new Error(
        `store migration failed on ${describe(url)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
  } catch (err) {
    await db.destroy();
    throw err;
  }
  log(`store: ${describe(url)} ready`);

  const path = postgres ? undefined : sqlitePath(url);
  const checkpointer =
    path && path !== ':memory:'
      ? new Checkpointer(path, (error) => log(`store: a WAL checkpoint failed: ${error}`))
      : undefined;
  const writes = new GroupCommit(db, commitModes(postgres ? 'postgres' : 'sqlite'));
  const pendingMappings = new PendingMappings();
  return {
    dialect: postgres ? 'postgres' : 'sqlite',
    inbox: createInbox(db, writes),
    outbox: createOutbox(db, writes, pendingMappings),
    portals: createPortals(db),
    ghosts: createGhosts(db),
    messages: createMessageMap(db, writes, pendingMappings),
    kv: createKeyValue(db),
    close: async () => {
      await writes.idle();
      await checkpointer?.stop();
      await db.destroy(); // the last connection to close checkpoints what is left
    },
  };
}
