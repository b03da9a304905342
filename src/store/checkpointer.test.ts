import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer.js';

describe('WAL checkpoints on their own thread', () => {
  it("copies the bridge's committed log into the database file, while the bridge's connection never checkpoints", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sb-ckpt-')), 'ckpt.db');
    const db = new SqliteDatabase(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(10_000));
    const before = statSync(path).size;
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(2_000_000); // all of it in the log

    const errors: string[] = [];
    const checkpointer = new Checkpointer(path, (e) => errors.push(e), 20);
    const deadline = Date.now() + 10_000;
    while (statSync(path).size < before + 2_000_000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await checkpointer.stop();

    expect(statSync(path).size).toBeGreaterThan(before + 2_000_000);
    expect(errors).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 200 });
    db.close();
  });

  it('reports a database it cannot open', async () => {
    const errors: string[] = [];
    const checkpointer = new Checkpointer(join(tmpdir(), 'sb-no-such-dir', 'x.db'), (e) =>
      errors.push(e),
    );
    const deadline = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await checkpointer.stop();
    expect(errors.join()).toMatch(/unable to open|directory does not exist|no such file/i);
  });
});
