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
 *
 * Group commit's transactions are begun and committed here too (`transaction`), holding Kysely's
 * connection meanwhile as a Kysely transaction does: about a quarter of a one-row group's cost
 * was Kysely's transaction machinery.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

export class SqliteDirect {
  /** By SQL text: a few dozen (each compiled statement's, a batch's per row count, BEGIN/COMMIT). */
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  /** The connection `transaction` holds, as its work was handed it. */
  private holder: Kysely<Database> | undefined;

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  /** `db` (the store or a transaction of it) may be passed by: its statements may run now. */
  mayRunNow(db: Kysely<Database>): boolean {
    return db === this.holder || db.isTransaction || !this.sqlite.inTransaction;
  }

  /**
   * `work` in a transaction of its own, begun and committed on the connection directly while
   * Kysely's connection is held (Kysely's other queries wait for it); rolled back if it throws.
   */
  transaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      this.holder = conn;
      try {
        this.exec('begin');
        const result = await work(conn);
        this.exec('commit');
        return result;
      } catch (err) {
        // SQLite rolls a transaction back by itself on some errors (a full disk).
        if (this.sqlite.inTransaction) this.exec('rollback');
        throw err;
      } finally {
        this.holder = undefined;
      }
    });
  }

  private exec(sql: 'begin' | 'commit' | 'rollback'): void {
    this.prepared(sql).run();
  }

  private prepared(sql: string): SqliteDatabase.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.sqlite.prepare(sql)));
    return stmt;
  }

  /** As Kysely's SQLite driver runs a query, synchronously. */
  run<Row>(query: CompiledQuery<Row>, parameters: readonly unknown[]): QueryResult<Row> {
    const stmt = this.prepared(query.sql);
    if (stmt.reader) return { rows: stmt.all(parameters) as Row[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }
}
