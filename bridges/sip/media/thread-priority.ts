/**
 * A media thread's OS thread id and its scheduling priority (`media.priority`). Media servers
 * raise their media threads' priority so that a packet due is handled before batch work on a
 * busy machine (FreeSWITCH `-rp`, Asterisk `-p`); this is the nice-value form of that: Linux
 * schedules each thread by its own nice value, and setpriority(2) on a thread id sets that
 * thread's alone. Raising it (a negative value) needs CAP_SYS_NICE (or root, or an RLIMIT_NICE
 * that allows it): without it the media thread fails to start, and with it the bridge — never a
 * silent fallback to the default.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
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

/** SCHED_RR in /proc/<pid>/task/<tid>/stat's `policy` field (sched.h). */
const SCHED_RR = 2;

/** A thread's scheduling policy and real-time priority, from its stat file (fields 41 and 40). */
export function threadScheduling(
  tid: number,
  pid = process.pid,
): { policy: number; rtPriority: number } {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { policy: Number(fields[41 - 3]), rtPriority: Number(fields[40 - 3]) };
}

/**
 * Gives the calling thread the real-time policy SCHED_RR at `priority` (1 … 99), with util-linux's
 * `chrt` (Node has no sched_setscheduler), or throws an error that names the key, the thread and
 * the fix. Under it the thread runs as soon as it is runnable, before every ordinary (nice-valued)
 * thread of the machine whatever its scheduling group; the kernel still keeps 5 % of each second
 * for ordinary threads (`sched_rt_runtime_us`), so a runaway thread cannot take a core whole.
 */
export function setThreadRealtime(priority: number, allThreads = false): void {
  const tid = osThreadId();
  if (tid === undefined)
    throw new Error(
      'media.realtime: this system has no per-thread real-time priority (Linux only); remove media.realtime',
    );
  const chrt = (args: string[]) =>
    execFileSync('chrt', ['--rr', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
  try {
    // `allThreads` (a media process): every other thread of the process (V8's, libuv's; those
    // started later inherit it) one step below the media thread, so that it never waits on a
    // lock or a task held by an ordinary thread, yet a helper busy on the same core (a compile
    // job) never keeps it waiting: SCHED_RR shares a priority round-robin, 100 ms turns.
    if (allThreads)
      chrt(['--all-tasks', '--pid', String(Math.max(1, priority - 1)), String(process.pid)]);
    chrt(['--pid', String(priority), String(tid)]);
  } catch (err) {
    const why = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw new Error(
      `media.realtime ${priority}: the media thread (tid ${tid}) could not be given SCHED_RR (${why}); ` +
        'it needs CAP_SYS_NICE (e.g. systemd AmbientCapabilities=CAP_SYS_NICE) or LimitRTPRIO= at least ' +
        `${priority}, and util-linux's chrt — grant it or remove media.realtime`,
    );
  }
  const now = threadScheduling(tid);
  if (now.policy !== SCHED_RR || now.rtPriority !== priority)
    throw new Error(
      `media.realtime ${priority}: the media thread (tid ${tid}) has policy ${now.policy}, priority ${now.rtPriority}`,
    );
}
