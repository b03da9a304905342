/**
 * SQLite WAL checkpoints on a thread of their own. A checkpoint copies the log into the database
 * file and syncs it: tens of milliseconds on a busy disk. Left to SQLite (autocheckpoint), it runs
 * inside whichever commit crosses 1,000 pages, on the bridge's one thread, and every message waits.
 * Here a worker with its own connection checkpoints the log every second (PASSIVE: it never waits
 * for or blocks the bridge's writes); the bridge's connection has autocheckpoint off.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const INTERVAL_MS = 1_000;

// CommonJS by `eval`, so it runs the same from src/ (tsx, vitest) and dist/.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, onError: (message: string) => void, intervalMs = INTERVAL_MS) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { driver, path, intervalMs } });
    this.worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
    this.worker.on('error', (err) => onError(err.message));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
  }

  /** Stops checkpointing and closes the worker's connection. */
  async stop(): Promise<void> {
    // Held until it exits: a process whose loop empties while it awaits would end with code 13.
    this.worker.ref();
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
