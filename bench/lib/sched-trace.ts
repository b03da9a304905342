/**
 * The kernel's scheduler events over the measured window (ftrace through tracefs, Linux, root):
 * every `sched_switch` (which task left a CPU, in which state, and which took it) and every
 * `sched_waking` (who woke whom, and from which context: a hard IRQ such as a timer, a soft IRQ
 * such as loopback delivering a datagram, or a task). Stamped on the TAI clock (trace_clock
 * `tai`), which is the epoch clock tcpdump stamps packets with, less the TAI offset (measured, in
 * whole seconds): so each relayed packet's time in the bridge on the wire can be laid over what
 * its media thread was doing (hold-causes.ts). An instance of its own
 * (`instances/sb-bench-<pid>`), so the machine's own tracing is left as it is; removed after.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface SwitchEvent {
  kind: 'switch';
  /** µs since the epoch. */
  t: number;
  cpu: number;
  prevPid: number;
  prevComm: string;
  /** R (preempted, still runnable), S (asleep), D (uninterruptible) … */
  prevState: string;
  nextPid: number;
  nextComm: string;
}

export interface WakingEvent {
  kind: 'waking';
  t: number;
  cpu: number;
  /** The task running when the wake-up was made (in an IRQ: the task it interrupted). */
  wakerPid: number;
  wakerComm: string;
  /** 'hardirq', 'softirq' or 'task': where the wake-up was made. */
  context: 'hardirq' | 'softirq' | 'task';
  pid: number;
}

export type SchedEvent = SwitchEvent | WakingEvent;

const LINE =
  /^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+\.\d+):\s+(sched_switch|sched_waking):\s+(.*)$/;
const SWITCH =
  /prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=\d+/;
const WAKING = /comm=(.*) pid=(\d+) prio=\d+/;

/** One line of the trace, or undefined (a header or another event). `offsetUs` is added to its time. */
export function parseTraceLine(line: string, offsetUs = 0): SchedEvent | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [, comm, pid, cpu, flags, ts, event, rest] = m;
  const [sec, frac] = ts!.split('.');
  // Microseconds exactly (a double of seconds would lose them at today's epoch).
  const t = Number(sec) * 1e6 + Number(frac!.padEnd(6, '0').slice(0, 6)) + offsetUs;
  if (event === 'sched_switch') {
    const s = SWITCH.exec(rest!);
    if (!s) return undefined;
    return {
      kind: 'switch',
      t,
      cpu: Number(cpu),
      prevComm: s[1]!,
      prevPid: Number(s[2]),
      prevState: s[3]!,
      nextComm: s[4]!,
      nextPid: Number(s[5]),
    };
  }
  const w = WAKING.exec(rest!);
  if (!w) return undefined;
  // The flags' third character: h (hard IRQ), s (soft IRQ), H (hard IRQ in a soft one), '.'.
  const c = flags![2];
  return {
    kind: 'waking',
    t,
    cpu: Number(cpu),
    wakerPid: Number(pid),
    wakerComm: comm!.trim(),
    context: c === 'h' || c === 'H' ? 'hardirq' : c === 's' ? 'softirq' : 'task',
    pid: Number(w[2]),
  };
}

const ROOT = '/sys/kernel/tracing';

export class SchedTrace {
  private readonly dir = join(ROOT, 'instances', `sb-bench-${process.pid}`);
  private offsetUs = 0;

  private constructor() {}

  /** The trace, or why not (not Linux, not root, no tracefs and none mountable). */
  static open(): SchedTrace | string {
    if (process.platform !== 'linux') return 'not Linux';
    if (process.getuid?.() !== 0) return 'not root';
    if (!existsSync(join(ROOT, 'instances'))) {
      try {
        execFileSync('mount', ['-t', 'tracefs', 'nodev', ROOT], { stdio: 'ignore' });
      } catch {
        return `no tracefs at ${ROOT} (mount -t tracefs nodev ${ROOT})`;
      }
      if (!existsSync(join(ROOT, 'instances'))) return `no tracefs at ${ROOT}`;
    }
    return new SchedTrace();
  }

  start(): void {
    if (!existsSync(this.dir)) mkdirSync(this.dir);
    const w = (file: string, value: string) => writeFileSync(join(this.dir, file), value);
    w('tracing_on', '0');
    w('trace_clock', 'tai');
    // Per CPU; two CPUs switch ≈ 10-20 k times a second each under the benchmark.
    w('buffer_size_kb', '65536');
    w('trace', '');
    w('events/sched/sched_switch/enable', '1');
    w('events/sched/sched_waking/enable', '1');
    w('tracing_on', '1');
    // The TAI clock is the epoch clock plus the TAI offset (whole seconds, often 0).
    this.mark = Date.now() * 1000;
    w('trace_marker', 'sb-bench-sync');
  }

  private mark = 0;

  /** Stops tracing and reads the events (the instance is removed). */
  stop(): { events: SchedEvent[]; lost: number } {
    const w = (file: string, value: string) => writeFileSync(join(this.dir, file), value);
    w('tracing_on', '0');
    let lost = 0;
    for (const cpu of readdirCpus(this.dir)) {
      const stats = readFileSync(join(this.dir, 'per_cpu', cpu, 'stats'), 'utf8');
      lost += Number(/^overrun:\s*(\d+)/m.exec(stats)?.[1] ?? 0);
      lost += Number(/^dropped events:\s*(\d+)/m.exec(stats)?.[1] ?? 0);
    }
    const text = readFileSync(join(this.dir, 'trace'), 'utf8');
    const sync = /\s(\d+)\.(\d+): tracing_mark_write: sb-bench-sync/.exec(text);
    if (sync) {
      const marker = Number(sync[1]) * 1e6 + Number(sync[2]!.padEnd(6, '0').slice(0, 6));
      this.offsetUs = -Math.round((marker - this.mark) / 1e6) * 1e6;
    }
    const events: SchedEvent[] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const e = parseTraceLine(text.slice(start, end), this.offsetUs);
      if (e) events.push(e);
      start = end + 1;
    }
    this.close();
    return { events, lost };
  }

  close(): void {
    try {
      writeFileSync(join(this.dir, 'tracing_on'), '0');
      writeFileSync(join(this.dir, 'events/sched/sched_switch/enable'), '0');
      writeFileSync(join(this.dir, 'events/sched/sched_waking/enable'), '0');
      rmdirSync(this.dir);
    } catch {
      // gone already
    }
  }
}

function readdirCpus(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'per_cpu')).filter((d) => /^cpu\d+$/.test(d));
  } catch {
    return [];
  }
}
