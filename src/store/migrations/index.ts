/**
 * Every migration, listed by hand: a static provider needs no filesystem
 * scanning, so it works the same from src/ (tsx, vitest) and from dist/.
 * Add new ones at the end with the next number; never edit an applied one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.js';
import * as failedIndex from './002-failed-index.js';
import * as outboxRef from './003-outbox-ref.js';

const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-failed-index': failedIndex,
  '003-outbox-ref': outboxRef,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
