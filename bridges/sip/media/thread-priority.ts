/**
 * A media thread's OS thread id and its scheduling priority (`media.priority`). Media servers
 * raise their media threads' priority so that a packet due is handled before batch work on a
 * busy machine (FreeSWITCH `-rp`, Asterisk `-p`); this is the nice-value form of that: Linux
 * schedules each thread by its own nice value, and setpriority(2) on a thread id sets that
 * thread's alone. Raising it (a negative value) needs CAP_SYS_NICE (or root, or an RLIMIT_NICE
 * that allows it): without it the media thread fails to start, and with it the bridge — never a
 * silent fallback to the default.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The calling thread's kernel thread id (Linux: /proc/thread-self), or undefined elsewhere. */
export function osThreadId(): number | undefined {
  try {
    const m = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Gives the calling thread the nice value `priority` (-20 highest … 19 lowest), or throws an
 * error that names the key, the thread and the fix.
 */
export function setThreadPriority(priority: number): void {
  const tid = osThreadId();
  if (tid === undefined)
    throw new Error(
      'media.priority: this system has no per-thread priority (Linux only); remove media.priority',
    );
  try {
    setPriority(tid, priority);
  } catch (err) {
    const code = (err as { code?: string; info?: { code?: string } }).info?.code ?? '';
    throw new Error(
      `media.priority ${priority}: the media thread (tid ${tid}) could not be given it (${code || (err as Error).message}); ` +
        'a negative priority needs CAP_SYS_NICE (e.g. systemd AmbientCapabilities=CAP_SYS_NICE, ' +
        'or LimitNICE=) — grant it or remove media.priority',
    );
  }
  const now = getPriority(tid);
  if (now !== priority)
    throw new Error(`media.priority ${priority}: the media thread (tid ${tid}) has ${now}`);
}
