/**
 * SQLite's WAL synced to disk on libuv's thread pool. With `synchronous = FULL`, SQLite syncs the
 * log inside each COMMIT, on the bridge's one thread: every message, timer and socket waits for
 * the disk (0.1 ms on a fast SSD, milliseconds on a cloud volume or a busy disk). Here commits run
 * with `synchronous = NORMAL` (the log written, not synced), and a commit that must survive a
 * machine crash awaits this sync of the whole log file before its writers resolve: the same
 * durability as FULL, while the thread goes on with other work.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private handle: Promise<FileHandle> | undefined;

  /** `databasePath`: the SQLite file; its log is `<path>-wal`, there as long as the database is open. */
  constructor(private readonly databasePath: string) {}

  /** Resolves once everything written to the log so far is on disk. */
  async sync(): Promise<void> {
    this.handle ??= open(`${this.databasePath}-wal`, 'r');
    const handle = await this.handle.catch((err: unknown) => {
      this.handle = undefined;
      throw err;
    });
    await handle.datasync().catch(async (err: unknown) => {
      // Opened afresh next time: a log that was replaced is not synced through a stale handle.
      this.handle = undefined;
      await handle.close().catch(() => undefined);
      throw err;
    });
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }
}
