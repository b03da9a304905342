// A write that need survive only a crash of the process commits without a flush to disk; any
// write that must survive a power cut makes its whole group flush. PostgreSQL: read from inside
// each write's own transaction, as the database has it. SQLite: the log file synced (fdatasync)
// after the commit, off the event loop, before the group's writers resolve.
import { mkdtempSync, readlinkSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitModes } from '../../src/store/commit-modes.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { dialects } from './dialects.js';

type Trx = Transaction<Database>;

const read = async (trx: Trx) => {
  const { rows } = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(trx);
  return rows[0]!.synchronous_commit === 'off' ? 'no flush' : 'flush';
};

for (const dialect of dialects.filter((d) => d.name === 'postgres')) {
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
      // The test server may run with synchronous_commit off for speed: these sessions have it on.
      const url = new URL(location.url);
      url.searchParams.set(
        'options',
        `${url.searchParams.get('options') ?? ''} -c synchronous_commit=on`.trim(),
      );
      db = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString() }) }),
      });
      return new GroupCommit(db, commitModes(dialect.name));
    };

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

describe('commit modes [sqlite]', () => {
  let db: Kysely<Database> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.destroy();
  });

  /** A store file as open-store makes it, and every fdatasync of a file handle, by file. */
  const openFile = async () => {
    const path = join(realpathSync(mkdtempSync(join(tmpdir(), 'sb-cm-'))), 'cm.db');
    const file = new SqliteDatabase(path);
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
    await sql`CREATE TABLE t (n INTEGER)`.execute(db);
    const probe = await open(path, 'r');
    const handleClass = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const synced: string[] = [];
    const real = handleClass.datasync;
    const spy = vi.spyOn(handleClass, 'datasync');
    spy.mockImplementation(async function (this: { fd: number }) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`)); // the file this handle is open on
      return real.call(this);
    });
    return { path, synced, spy, writes: new GroupCommit(db, commitModes('sqlite', path)) };
  };
  const insert = (n: number) => async (trx: Trx) => {
    await sql`INSERT INTO t (n) VALUES (${n})`.execute(trx);
  };

  it('syncs the log after a commit that must survive a power cut, not after the others', async () => {
    const { path, synced, writes } = await openFile();
    await writes.run(insert(1), false);
    expect(synced).toEqual([]);
    await writes.run(insert(2));
    expect(synced).toEqual([`${path}-wal`]);
    await writes.run(insert(3), false);
    expect(synced).toHaveLength(1);
    await writes.close();
  });

  it('resolves a flushed write only once the log is synced, and the thread runs meanwhile', async () => {
    const { spy, writes } = await openFile();
    let release!: () => void;
    spy.mockImplementationOnce(() => new Promise<void>((resolve) => (release = resolve)));
    let resolved = false;
    const write = writes.run(insert(1)).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 20)); // timers fire: nothing waits on the disk here
    expect(spy).toHaveBeenCalledTimes(1);
    expect(resolved).toBe(false);
    release();
    await write;
    await writes.close();
  });

  it('rejects the writers of a group whose sync failed, without writing their rows twice', async () => {
    const { spy, writes } = await openFile();
    spy.mockRejectedValueOnce(
      Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
    );
    await expect(writes.run(insert(1))).rejects.toThrow('EIO');
    await writes.run(insert(2)); // the log is opened afresh and synced
    const { rows } = await sql<{ n: number }>`SELECT n FROM t ORDER BY n`.execute(db!);
    expect(rows.map((r) => r.n)).toEqual([1, 2]);
    expect(spy).toHaveBeenCalledTimes(2);
    await writes.close();
  });
});
