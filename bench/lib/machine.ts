/** Facts about the machine the benchmark ran on, a disk probe, and cleaning up after itself. */
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { MB, round } from './stats.js';

/** `dbDir`: where the SQLite files go; the fsync probe measures that disk. */
export function machine(dbDir: string) {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? '?';
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: model,
    totalMemoryMB: Math.round(totalmem() / MB),
    node: process.version,
    kernel: release(),
    /** Other work on the machine shows here: the numbers are only as quiet as the machine. */
    loadAverage: loadavg().map((l) => round(l, 2)),
    fsyncsPerSecond: fsyncProbe(dbDir),
  };
}

/** How many write+fsync pairs a second the temp dir's disk does (one SQLite commit needs one). */
export function fsyncProbe(dbDir: string): number {
  const dir = mkdtempSync(join(dbDir, 'sb-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const byte = Buffer.from('x');
  let n = 0;
  const end = performance.now() + 1000;
  try {
    while (performance.now() < end) {
      writeSync(fd, byte, 0, 1, 0);
      fsyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    removeOwnFiles(dir, ['probe']);
  }
  return n;
}

/**
 * Deletes the named files the benchmark made in `dir` (a directory it made with mkdtemp), then the
 * directory if that left it empty. Never recursive: anything else there stays.
 */
export function removeOwnFiles(dir: string, names: string[]): void {
  for (const name of names) rmSync(join(dir, name), { force: true });
  try {
    rmdirSync(dir);
  } catch {
    // not empty: leave it
  }
}
