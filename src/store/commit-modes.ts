/**
 * Committing with or without waiting for the disk, per dialect (group-commit.ts decides which a
 * group needs). Without a flush, a commit survives a crash of the process but not of the machine.
 */
import { sql } from 'kysely';
import type { CommitModes } from './group-commit.js';
import { WalSync } from './wal-sync.js';

/**
 * SQLite in WAL mode, opened with `synchronous = NORMAL`: a commit writes the log without syncing
 * it, which loses nothing when only the process dies. A flushed commit then syncs the log off the
 * event loop (wal-sync.ts), which also carries every unflushed commit before it to disk.
 */
function sqliteModes(wal: WalSync | undefined): CommitModes {
  return {
    after: async (flush) => {
      if (flush) await wal?.sync();
    },
    close: async () => wal?.close(),
  };
}

/** PostgreSQL: without a flush, the commit returns before its WAL record is on disk. */
const postgresModes: CommitModes = {
  async within(trx, flush) {
    if (!flush) await sql`SET LOCAL synchronous_commit TO OFF`.execute(trx);
  },
};

/** `sqlitePath`: the database file (none for `:memory:`, which has no log to sync). */
export const commitModes = (dialect: 'sqlite' | 'postgres', sqlitePath?: string): CommitModes =>
  dialect === 'postgres'
    ? postgresModes
    : sqliteModes(sqlitePath && sqlitePath !== ':memory:' ? new WalSync(sqlitePath) : undefined);
