/** One demo per state folder: `demo.pid` holds the running demo's PID. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoError } from './demo-error.js';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The PID of a node process that still runs from this folder's demo.pid, if any. */
function runningDemo(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  try {
    // A reused PID of another program is not a demo.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demo')) return undefined;
  } catch {
    // no /proc: trust the PID
  }
  return pid;
}

export class StateLock {
  private constructor(private readonly file: string) {}

  /** Takes the folder, or throws when another demo runs from it. */
  static take(dir: string): StateLock {
    const file = join(dir, 'demo.pid');
    const other = runningDemo(file);
    if (other !== undefined)
      throw new DemoError(
        `another demo (pid ${other}) is running from ${dir}: stop it (Ctrl-C there), or give this one its own folder with --dir`,
      );
    writeFileSync(file, `${process.pid}\n`);
    return new StateLock(file);
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}
