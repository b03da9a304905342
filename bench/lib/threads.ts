/**
 * Per-thread CPU and run-queue waits, from Linux's /proc/<pid>/task/<tid>/schedstat (three
 * fields: ns on a CPU, ns waited on a run queue while runnable, time slices). A thread that is
 * ready to run but waits for a core shows in the second field: on a machine with fewer cores
 * than busy threads, that wait is latency every packet it handles carries. Read at the start and
 * the end of a measured window; the difference is the window's.
 * Linux only: elsewhere (or for a process gone) the snapshots are empty.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface TaskTimes {
  cpuNs: number;
  waitNs: number;
  slices: number;
}

/** Every thread of `pid`, by tid. */
export function snapshot(pid: number): Map<number, TaskTimes> {
  const out = new Map<number, TaskTimes>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [cpu, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      out.set(Number(tid), { cpuNs: cpu!, waitNs: wait!, slices: slices! });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** A process and its children, grandchildren… (Kamailio forks its workers). */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    for (const tid of tasks(all[i]!)) {
      try {
        const children = readFileSync(`/proc/${all[i]}/task/${tid}/children`, 'utf8');
        for (const c of children.trim().split(/\s+/).filter(Boolean)) all.push(Number(c));
      } catch {
        // gone
      }
    }
  }
  return all;
}

function tasks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** A group of threads over a window: CPU (ms and % of a core) and run-queue wait (ms). */
export interface ThreadGroup {
  label: string;
  threads: number;
  cpuMs: number;
  corePercent: number;
  waitMs: number;
  /** Run-queue wait per ms of CPU: how long the group waited for a core for each ms it ran. */
  waitPerCpu: number;
  /** Times the group's threads were put on a core: a thread that sleeps and wakes often runs in many. */
  slices: number;
  /** Mean run-queue wait per time on a CPU, in ms: how long a wake-up waited for a core. */
  waitPerSlice: number;
}

/**
 * The window's figures of the threads in `after`, grouped by `label(tid)` (threads started in the
 * window count from zero; a thread that ended in it is lost).
 */
export function groups(
  before: Map<number, TaskTimes>,
  after: Map<number, TaskTimes>,
  windowMs: number,
  label: (tid: number) => string,
): ThreadGroup[] {
  const by = new Map<string, ThreadGroup>();
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { cpuNs: 0, waitNs: 0, slices: 0 };
    const name = label(tid);
    const g = by.get(name) ?? {
      label: name,
      threads: 0,
      cpuMs: 0,
      corePercent: 0,
      waitMs: 0,
      waitPerCpu: 0,
      slices: 0,
      waitPerSlice: 0,
    };
    g.threads++;
    g.cpuMs += (a.cpuNs - b.cpuNs) / 1e6;
    g.waitMs += (a.waitNs - b.waitNs) / 1e6;
    g.slices += a.slices - b.slices;
    by.set(name, g);
  }
  for (const g of by.values()) {
    g.corePercent = (100 * g.cpuMs) / windowMs;
    g.waitPerCpu = g.cpuMs > 0 ? g.waitMs / g.cpuMs : 0;
    g.waitPerSlice = g.slices > 0 ? g.waitMs / g.slices : 0;
  }
  return [...by.values()];
}

/**
 * Each CPU's ticks from /proc/stat (`cpuN` lines, in clock ticks): busy, total, and stolen (the
 * 8th field: time the hypervisor ran something else while this virtual CPU had work; the guest's
 * own scheduler sees it as the running thread's time).
 */
export function cpuTicks(stat = readProcStat()): Map<string, CpuTicks> {
  const out = new Map<string, CpuTicks>();
  for (const line of stat.split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.split(/\s+/).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    out.set(m[1]!, { busy: total - idle, total, steal: f[7] ?? 0 });
  }
  return out;
}

export interface CpuTicks {
  busy: number;
  total: number;
  steal: number;
}

function readProcStat(): string {
  try {
    return readFileSync('/proc/stat', 'utf8');
  } catch {
    return '';
  }
}

/** Each CPU's stolen time over a window, ms (clock ticks are 10 ms: USER_HZ is 100 on Linux). */
export function cpuStealMs(
  before: Map<string, CpuTicks>,
  after: Map<string, CpuTicks>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cpu, a] of after) out[cpu] = (a.steal - (before.get(cpu)?.steal ?? a.steal)) * 10;
  return out;
}

export function cpuBusyPercent(
  before: Map<string, CpuTicks>,
  after: Map<string, CpuTicks>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cpu, a] of after) {
    const b = before.get(cpu);
    if (!b || a.total === b.total) continue;
    out[cpu] = (100 * (a.busy - b.busy)) / (a.total - b.total);
  }
  return out;
}

/** `taskset -a -p -c <cpu> <pid>`: every thread of `pid` (and those it starts later) on one CPU. */
export function pinToCpu(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}
