/**
 * Committing with or without waiting for the disk, per dialect (group-commit.ts decides which a
 * group needs). Without a flush, a commit survives a crash of the process but not of the machine.
 */
import { sql } from 'kysely';
import type { CommitModes } from './group-commit.js';

/**
 * SQLite in WAL mode: FULL syncs the log to disk at each commit; NORMAL leaves that to the next FULL
 * commit or checkpoint, and loses nothing when only the process dies.
 */
function sqliteModes(): CommitModes {
  let flushing = true; // as opened
  return {
    async before(db, flush) {
      if (flush === flushing) return;
      await sql.raw(`PRAGMA synchronous = ${flush ? 'FULL' : 'NORMAL'}`).execute(db);
      flushing = flush;
    },
  };
}

/** PostgreSQL: without a flush, the commit returns before its WAL record is on disk. */
const postgresModes: CommitModes = {
  async within(trx, flush) {
    if (!flush) await sql`SET LOCAL synchronous_commit TO OFF`.execute(trx);
  },
};

export const commitModes = (dialect: 'sqlite' | 'postgres'): CommitModes =>
  dialect === 'postgres' ? postgresModes : sqliteModes();
