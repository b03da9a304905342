// A write that need survive only a crash of the process commits without a flush to disk; any
// write that must survive a power cut makes its whole group flush. Read from inside each write's
// own transaction, as the database has it, on both dialects.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitModes } from '../../src/store/commit-modes.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { dialects } from './dialects.js';

type Trx = Transaction<Database>;

const setting = {
  sqlite: async (trx: Trx) => {
    const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(trx);
    return rows[0]!.synchronous === 2 ? 'flush' : 'no flush'; // 2 = FULL, 1 = NORMAL
  },
  postgres: async (trx: Trx) => {
    const { rows } = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(
      trx,
    );
    return rows[0]!.synchronous_commit === 'off' ? 'no flush' : 'flush';
  },
};

for (const dialect of dialects) {
  describe(`commit modes [${dialect.name}]`, () => {
    let db: Kysely<Database> | undefined;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(() => dialect.ready());
    afterEach(async () => {
      await db?.destroy();
      await drop?.();
    });

    const open = async () => {
      const location = await dialect.fresh();
      drop = location.drop;
      if (dialect.name === 'sqlite') {
        const file = new SqliteDatabase(join(mkdtempSync(join(tmpdir(), 'sb-cm-')), 'cm.db'));
        file.pragma('journal_mode = WAL');
        file.pragma('synchronous = FULL');
        db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
      } else {
        // The test server may run with synchronous_commit off for speed: these sessions have it on.
        const url = new URL(location.url);
        url.searchParams.set(
          'options',
          `${url.searchParams.get('options') ?? ''} -c synchronous_commit=on`.trim(),
        );
        db = new Kysely<Database>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString() }) }),
        });
      }
      return new GroupCommit(db, commitModes(dialect.name));
    };
    const read = setting[dialect.name];

    it('commits writes that need survive only a process crash without a flush, others with one', async () => {
      const writes = await open();
      expect(await writes.run(read, false)).toBe('no flush');
      expect(await writes.run(read)).toBe('flush');
      expect(await writes.run(read, false)).toBe('no flush');
    });

    it('flushes a whole group when one of its writes must survive a power cut', async () => {
      const writes = await open();
      // A write in progress holds the committer, so the next three queue up as one group.
      let finish!: () => void;
      const holding = new Promise<void>((started) => {
        void writes.run(() => {
          started();
          return new Promise<void>((resolve) => (finish = resolve));
        }, false);
      });
      await holding;
      const group = [writes.run(read, false), writes.run(read, true), writes.run(read, false)];
      finish();
      expect(await Promise.all(group)).toEqual(['flush', 'flush', 'flush']);
      expect(await writes.run(read, false)).toBe('no flush'); // the next group on its own
    });
  });
}
