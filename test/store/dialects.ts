/**
 * Runs one store suite against every dialect, like Kysely's own tests:
 * SQLite in a fresh temp file, PostgreSQL in a fresh schema of the database
 * named by SWITCHBOARD_TEST_PG_URL (started by `npm test`). Without that
 * URL the PostgreSQL suites fail; they never skip silently.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/** A place for a store that starts empty; `drop` removes it. */
export interface Location {
  url: string;
  drop(): Promise<void>;
}

export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /** Throws with a clear message when the database cannot be used. */
  ready(): Promise<void>;
  fresh(): Promise<Location>;
}

const sqlite: TestDialect = {
  name: 'sqlite',
  async ready() {},
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    return {
      url: join(dir, 'store.db'),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const PG_NOT_RUNNING = 'PostgreSQL not running: run `npm test`, which starts it';

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.SWITCHBOARD_TEST_PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const postgres: TestDialect = {
  name: 'postgres',
  async ready() {
    const url = process.env.SWITCHBOARD_TEST_PG_URL;
    if (!url) throw new Error(`${PG_NOT_RUNNING} (SWITCHBOARD_TEST_PG_URL is unset)`);
    try {
      await adminQuery('select 1');
    } catch (err) {
      throw new Error(
        `${PG_NOT_RUNNING} (cannot connect to SWITCHBOARD_TEST_PG_URL: ${(err as Error).message})`,
      );
    }
  },
  async fresh() {
    // A schema per test keeps tests and runs independent without needing createdb rights.
    const schema = `sb_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    await adminQuery(`create schema ${schema}`);
    const url = new URL(process.env.SWITCHBOARD_TEST_PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      url: url.toString(),
      drop: () => adminQuery(`drop schema if exists ${schema} cascade`),
    };
  },
};

export const dialects: TestDialect[] = [sqlite, postgres];

/**
 * `describe(title [dialect])` for each dialect, with a fresh, migrated store
 * per test: `body` gets a getter for it.
 */
export function describeStore(
  title: string,
  body: (store: () => Store, dialect: TestDialect) => void,
): void {
  for (const dialect of dialects) {
    describe(`${title} [${dialect.name}]`, () => {
      let store: Store | undefined;
      let location: Location | undefined;
      beforeAll(() => dialect.ready());
      beforeEach(async () => {
        location = await dialect.fresh();
        store = await openStore(location.url);
      });
      afterEach(async () => {
        await store?.close();
        await location?.drop();
        store = undefined;
        location = undefined;
      });
      body(() => {
        if (!store) throw new Error('no store: the test database could not be opened');
        return store;
      }, dialect);
    });
  }
}
