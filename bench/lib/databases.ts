/** The databases a run can use: a fresh SQLite file, or a fresh schema in a PostgreSQL database. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { removeOwnFiles } from './machine.js';

export interface DbTarget {
  kind: 'sqlite' | 'postgres';
  /** A fresh database for one run, and what to do after it. */
  fresh(): Promise<{ url: string; cleanup: () => Promise<void> }>;
}

/** `dbDir`: where the temp dirs go (the `--db-dir` option). */
export function sqliteTarget(dbDir: string): DbTarget {
  return {
    kind: 'sqlite',
    async fresh() {
      // A new file in a new temp dir; afterwards its three files and the dir go.
      const dir = mkdtempSync(join(dbDir, 'sb-bench-'));
      const files = ['switchboard.db', 'switchboard.db-wal', 'switchboard.db-shm'];
      return { url: join(dir, files[0]!), cleanup: async () => removeOwnFiles(dir, files) };
    },
  };
}

export function postgresTarget(baseUrl: string): DbTarget {
  return {
    kind: 'postgres',
    async fresh() {
      const schema = `sb_bench_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = new URL(baseUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        url: url.toString(),
        cleanup: async () => {
          const c = new pg.Client({ connectionString: baseUrl });
          await c.connect();
          await c.query(`DROP SCHEMA ${schema} CASCADE`); // the schema made just above, nothing else
          await c.end();
        },
      };
    },
  };
}
