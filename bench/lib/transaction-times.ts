/**
 * What holds a Matrix → remote message before the bridge sees it: the homeserver sends one
 * transaction at a time, the next only after the bridge's 200, which waits for the inbox's log to
 * reach the disk. So the bench times each paced transaction (events in it, PUT → 200) and the
 * disk's own sync time under the database (fdatasync of 4 KiB appends): the physical limit of
 * that wait, measured in the same run.
 */
import { closeSync, fdatasyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, round } from './stats.js';

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${round(percentile(sorted, 50), 2)}, p99 ${round(percentile(sorted, 99), 2)}, max ${round(sorted.at(-1) ?? NaN, 2)} ms`;
};

export class TransactionTimes {
  private readonly roundTrips: number[] = [];
  private readonly sizes: number[] = [];

  /** `send` (a pace callback that pushes one transaction) timed. */
  timed(send: (from: number, to: number) => Promise<unknown>) {
    return async (from: number, to: number) => {
      const t0 = performance.now();
      await send(from, to);
      this.roundTrips.push(performance.now() - t0);
      this.sizes.push(to - from);
    };
  }

  summary(): string {
    const big = this.sizes.filter((n) => n > 1).length;
    return `the homeserver's ${this.sizes.length} transactions (${big} with more than one event, up to ${Math.max(...this.sizes)}): PUT → 200 ${spread(this.roundTrips)}`;
  }
}

/** `count` fdatasyncs of a 4 KiB append in a scratch file in `dir` (removed after). */
export function diskSyncTimes(dir: string, count = 300): string {
  const path = join(dir, `sync-probe-${process.pid}.bin`);
  const fd = openSync(path, 'w');
  const page = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      writeSync(fd, page);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    unlinkSync(path); // only the probe file made above
  }
  return `the disk under the database: fdatasync ${spread(times)}`;
}
