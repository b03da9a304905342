// The store tells the truth: a second bridge on the same database is refused (SQLite and
// PostgreSQL), a database that cannot be written stops `start` with exit code 14 naming the file
// and the cause, and a store that stops writing at run time turns /ready and /health to the cause
// and /metrics to 0, refuses transactions (the homeserver sends them again), and recovers by itself.
// The full disk is a real one: a small tmpfs, filled up (mounting one needs root, as CI runs).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EchoConnector } from '../../bridges/echo/index.js';
import { StartupError } from '../../src/core/startup-checks.js';
import { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, startBridge, testConfig } from '../support/bridge-harness.js';
import {
  registerUser,
  requirePostgres,
  testRegistration,
  uniqueLocalpart,
  waitFor,
} from '../support/synapse.js';
import { startTcpGate } from '../support/tcp-gate.js';

const mounts: string[] = [];

/**
 * A schema of its own in the test database, as its URL (search_path): the public schema stays
 * empty, since Kysely's migrator would find its lock table there and not make one in the schema.
 */
async function pgSchema(base = requirePostgres()): Promise<string> {
  const schema = `sb_lock_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** A fresh tmpfs of `kib` KiB: a disk the test can fill. */
function smallDisk(kib: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]);
  } catch (err) {
    throw new Error(
      `mounting a tmpfs failed (these tests need root, as \`npm test\` runs in CI): ${(err as Error).message}`,
    );
  }
  mounts.push(dir);
  return dir;
}

/** Fills the disk holding `dir` to the last byte; returns the filler files to delete. */
function fill(dir: string): string[] {
  const files: string[] = [];
  for (let i = 0; ; i++) {
    const { bavail, bsize } = statfsSync(dir);
    if (bavail === 0) return files;
    const file = join(dir, `filler-${i}`);
    files.push(file);
    try {
      writeFileSync(file, Buffer.alloc(Math.max(1, bavail * bsize)));
    } catch {
      return files; // ENOSPC: full
    }
  }
}

/** A second bridge on another port (0), against the same database. */
function secondBridge(database: string): Switchboard {
  const config = testConfig({ database });
  config.appservice.port = 0;
  return new Switchboard(config, [new EchoConnector()], pino({ level: 'silent' }), {
    skipPing: true,
  });
}

const startupError = async (bridge: Switchboard) => {
  const err = await bridge.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  await bridge.stop().catch(() => undefined);
  expect(err).toBeInstanceOf(StartupError);
  return err as StartupError;
};

afterAll(() => {
  for (const dir of mounts) execFileSync('umount', ['-l', dir]);
});

describe('one bridge per database', () => {
  it('a second bridge on the same SQLite file is refused with exit code 14; once the first stops, it starts', async () => {
    const database = join(mkdtempSync(join(tmpdir(), 'sb-lock-')), 'switchboard.db');
    const first = await startBridge({ database });
    try {
      const err = await startupError(secondBridge(database));
      expect(err.exitCode).toBe(14);
      expect(err.message).toContain(`another switchboard is using ${database}`);
    } finally {
      await first.stop();
    }
    const again = secondBridge(database);
    await again.start();
    await again.stop();
  });

  it('a second bridge on the same PostgreSQL database is refused (advisory lock), and starts once the first stops', async () => {
    const database = await pgSchema();
    const first = await startBridge({ database });
    try {
      const err = await startupError(secondBridge(database));
      expect(err.exitCode).toBe(14);
      expect(err.message).toMatch(
        /another switchboard is using the database 127\.0\.0\.1:\d+\/test \(schema sb_lock_/,
      );
    } finally {
      await first.stop();
    }
    const again = secondBridge(database);
    await again.start();
    await again.stop();
  });
});

describe('a store that cannot write', () => {
  it('a full disk at start: exit code 14 naming the database file and the full disk', async () => {
    const disk = smallDisk(2048);
    const database = join(disk, 'switchboard.db');
    const before = secondBridge(database); // made once while there was room, then stopped
    await before.start();
    await before.stop();
    fill(disk);
    const err = await startupError(secondBridge(database));
    expect(err.exitCode).toBe(14);
    expect(err.message).toContain(`sqlite ${database}`);
    expect(err.message).toContain('the disk is full');
  });

  it('a full disk at run time: transactions get 500, /ready and /health say why, /metrics says 0; freed, it recovers by itself', async () => {
    const disk = smallDisk(4096);
    const bridge = await startBridge({ database: join(disk, 'switchboard.db') });
    const base = `http://127.0.0.1:${bridge.port}`;
    const { hs_token: hsToken } = testRegistration();
    try {
      const alice = await registerUser(uniqueLocalpart('full'));
      const roomId = await joinAlias(alice, '#echo_full-disk:localhost');
      // A transaction bigger than what the database's log file has room for, so it must grow:
      // padding events (stored like any other, then ignored) and one message to echo.
      const event = (type: string, content: Record<string, unknown>) => ({
        type,
        event_id: `$full-${randomBytes(6).toString('hex')}`,
        sender: alice.userId,
        room_id: roomId,
        origin_server_ts: Date.now(),
        content,
      });
      const events = [
        ...Array.from({ length: 24 }, () =>
          event('org.example.padding', { padding: 'x'.repeat(60_000) }),
        ),
        event('m.room.message', { msgtype: 'm.text', body: 'said while the disk was full' }),
      ];
      const txnId = `full-${randomBytes(4).toString('hex')}`;
      const push = () =>
        fetch(`${base}/_matrix/app/v1/transactions/${txnId}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${hsToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
      const status = async (path: string) => {
        const res = await fetch(`${base}${path}`);
        return { code: res.status, text: await res.text() };
      };

      const fillers = fill(disk);
      expect((await push()).status).toBe(500);
      const ready = await status('/ready');
      expect(ready.code).toBe(503);
      expect(ready.text).toContain('cannot be written: the disk is full');
      const health = await status('/health');
      expect(health.code).toBe(503);
      expect(health.text).toContain('the disk is full');
      expect((await status('/metrics')).text).toMatch(/^switchboard_store_writable 0$/m);

      for (const file of fillers) rmSync(file);
      await waitFor(async () => (await status('/ready')).code === 200, 15_000, '/ready 200 again');
      expect((await status('/health')).code).toBe(200);
      expect((await status('/metrics')).text).toMatch(/^switchboard_store_writable 1$/m);
      expect((await push()).status).toBe(200); // the homeserver's retry
      await waitFor(
        async () =>
          (await roomEvents(alice, roomId, 50)).some(
            (e) =>
              e.sender === '@echo_echo:localhost' &&
              e.content.body === 'said while the disk was full',
          ),
        30_000,
        'the echo of the message in the refused transaction, once it was taken',
      );
    } finally {
      await bridge.stop();
    }
  });

  it('PostgreSQL gone at run time: /ready says so; back, it recovers by itself', async () => {
    const url = new URL(await pgSchema());
    const gate = await startTcpGate(Number(url.port));
    url.port = String(gate.port);
    const bridge = await startBridge({ database: url.toString() });
    const base = `http://127.0.0.1:${bridge.port}`;
    const { hs_token: hsToken } = testRegistration();
    const push = (txnId: string) =>
      fetch(`${base}/_matrix/app/v1/transactions/${txnId}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${hsToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [] }),
      });
    try {
      gate.shut();
      const txnId = `pg-gone-${randomBytes(4).toString('hex')}`;
      expect((await push(txnId)).status).toBe(500);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/cannot be written: PostgreSQL/);
      gate.open();
      await waitFor(
        async () => (await fetch(`${base}/ready`)).status === 200,
        15_000,
        '/ready 200',
      );
      expect((await push(txnId)).status).toBe(200);
    } finally {
      await bridge.stop();
      await gate.close();
    }
  });
});
