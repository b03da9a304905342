/**
 * The store's hot compiled statements run on SQLite's one connection directly, without Kysely's
 * async executor and connection mutex: those cost several promises and ~20 KB of allocation a
 * statement, more than SQLite's own work for the bridge's one-row inserts and deletes.
 *
 * SQLite has one connection, so a statement must never land inside someone else's open
 * transaction. Inside a transaction the caller holds (a `Transaction` it was handed: group
 * commit's), the connection is the caller's until its callback returns, so a statement runs at
 * once. Outside one, it runs at once only while no transaction is open on the connection;
 * otherwise it goes through Kysely, which waits for the connection as before.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

export class SqliteDirect {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  /** `db` (the store or a transaction of it) may be passed by: its statements may run now. */
  mayRunNow(db: Kysely<Database>): boolean {
    return db.isTransaction || !this.sqlite.inTransaction;
  }

  /** As Kysely's SQLite driver runs a query, synchronously. */
  run<Row>(query: CompiledQuery<Row>, parameters: readonly unknown[]): QueryResult<Row> {
    let stmt = this.statements.get(query.sql);
    if (!stmt) this.statements.set(query.sql, (stmt = this.sqlite.prepare(query.sql)));
    if (stmt.reader) return { rows: stmt.all(parameters) as Row[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }
}
