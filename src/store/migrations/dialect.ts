/**
 * The little that differs between SQLite and PostgreSQL in DDL, so each
 * migration can stay one script for both.
 */
import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * An ever-increasing integer primary key. SQLite needs exactly `integer primary
 * key autoincrement` (so ids are never reused after deletes); PostgreSQL a
 * bigint identity. Use with `addColumn(name, autoIdType(db), autoId(db))`.
 */
export function autoIdType(db: Kysely<any>): 'bigint' | 'integer' {
  return isPostgres(db) ? 'bigint' : 'integer';
}

export function autoId(db: Kysely<any>): (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return isPostgres(db)
    ? (col) => col.primaryKey().generatedByDefaultAsIdentity()
    : (col) => col.primaryKey().autoIncrement();
}
