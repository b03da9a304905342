import { describe, expect, it } from 'vitest';
import { holdCauses, statesOver, taskLabels, timeline } from './hold-causes.js';
import { parseTraceLine, type SchedEvent } from './sched-trace.js';

// The media thread is 200, the bridge's main thread 100 (its process), a V8 helper 101; the
// peers' main thread 300. Times: 1000.000000 s on the trace clock, plus µs.
const at = (us: number) => `1000.${String(us).padStart(6, '0')}`;
const sw = (us: number, cpu: number, prev: [string, number, string], next: [string, number]) =>
  `  ${prev[0]}-${prev[1]}  [00${cpu}] d..2. ${at(us)}: sched_switch: prev_comm=${prev[0]} prev_pid=${prev[1]} prev_prio=120 prev_state=${prev[2]} ==> next_comm=${next[0]} next_pid=${next[1]} next_prio=120`;
const wake = (us: number, cpu: number, by: [string, number], flags: string, pid: number) =>
  `  ${by[0]}-${by[1]}  [00${cpu}] ${flags} ${at(us)}: sched_waking: comm=node pid=${pid} prio=120 target_cpu=00${cpu}`;

const TRACE = [
  '# tracer: nop',
  // 0–1000: running; 1000: asleep (epoll); 1500: a datagram wakes it (soft IRQ in a peer).
  sw(0, 1, ['swapper/1', 0, 'R'], ['node', 200]),
  sw(1000, 1, ['node', 200, 'S'], ['swapper/1', 0]),
  wake(1500, 0, ['node', 300], 'd.s3.', 200),
  sw(1600, 1, ['swapper/1', 0, 'R'], ['node', 200]),
  // 1600–3000 running (a GC pause from 2500); 3000 blocks on the helper until 5000 (still in it).
  sw(3000, 1, ['node', 200, 'S'], ['node', 101]),
  wake(5000, 1, ['node', 101], 'd..3.', 200),
  // Ready 5000–5400: the peer has the CPU it then gets.
  sw(5400, 1, ['node', 300, 'R'], ['node', 200]),
  // Running 5400–6000, preempted by another process until 6500, running to 9000.
  sw(6000, 1, ['node', 200, 'R+'], ['gcc', 999]),
  sw(6500, 1, ['gcc', 999, 'S'], ['node', 200]),
  sw(9000, 1, ['node', 200, 'S'], ['swapper/1', 0]),
  wake(9500, 1, ['swapper/1', 0], 'd.h2.', 200),
  sw(9600, 1, ['swapper/1', 0, 'R'], ['node', 200]),
];

const events = TRACE.map((l) => parseTraceLine(l)).filter((e): e is SchedEvent => !!e);
const who = taskLabels({
  media: new Set([200]),
  bridgeMain: 100,
  bridge: new Set([100, 101, 200]),
  bench: new Set([300]),
});
const T = 1000 * 1e6;

describe('the scheduler trace', () => {
  it('reads sched_switch and sched_waking lines, with the waker and its context', () => {
    expect(events).toHaveLength(TRACE.length - 1);
    expect(events[1]).toEqual({
      kind: 'switch',
      t: T + 1000,
      cpu: 1,
      prevComm: 'node',
      prevPid: 200,
      prevState: 'S',
      nextComm: 'swapper/1',
      nextPid: 0,
    });
    expect(events[2]).toMatchObject({
      kind: 'waking',
      wakerPid: 300,
      context: 'softirq',
      pid: 200,
    });
    expect(events[10]).toMatchObject({ context: 'hardirq' });
    expect(parseTraceLine('1000.5: tracing_mark_write: x', 0)).toBeUndefined();
    // An offset (the TAI clock's) moves every time.
    expect(parseTraceLine(TRACE[1]!, -37e6)?.t).toBe(T - 37e6);
  });

  it("lays the media thread's states out in time, each wait named by what ended it", () => {
    const segs = timeline(events, 200, who).map((s) => [s.start - T, s.end - T, s.state]);
    expect(segs).toEqual([
      [0, 1000, 'running'],
      [1000, 1500, 'asleep until woken by a soft IRQ (network) in the peers (this process)'],
      [1500, 1600, 'waiting for a core behind idle'],
      [1600, 3000, 'running'],
      [3000, 5000, "asleep until woken by the bridge's other threads (node)"],
      [5000, 5400, 'waiting for a core behind the peers (this process)'],
      [5400, 6000, 'running'],
      [6000, 6500, 'waiting for a core behind other processes'],
      [6500, 9000, 'running'],
      [9000, 9500, 'asleep until woken by a hard IRQ (timer)'],
      [9500, 9600, 'waiting for a core behind idle'],
    ]);
  });

  it("splits each packet's hold by those states and the GC, the slowest against all", () => {
    const segs = timeline(events, 200, who);
    // A GC pause 2500–4500; packets: one held across the pause and the waits after it, the rest short.
    const slow: [number, number] = [T + 2000, T + 6200];
    const pairs: [number, number][] = [slow];
    for (let i = 0; i < 49; i++) pairs.push([T + 6600 + i * 20, T + 6610 + i * 20]);
    const h = holdCauses(pairs, pairs, segs, [[T + 2500, 2000]]);
    expect(h.slowest).toBe(1);
    expect(h.p99HoldMs).toBeCloseTo(4.2);
    expect(h.slowestByState).toEqual({
      "asleep until woken by the bridge's other threads (node) (GC)": 1.5,
      "asleep until woken by the bridge's other threads (node)": 0.5,
      running: 0.5 + 0.6,
      'running (GC)': 0.5,
      'waiting for a core behind the peers (this process)': 0.4,
      'waiting for a core behind other processes': 0.2,
    });
    expect(h.allByState.running).toBeCloseTo((1.1 + 49 * 0.01) / 50);
    // Nothing in the bridge ahead of the slow one; ahead of the others, none either (each left).
    expect(h.ahead).toEqual({ slowestP50: 0, slowestMean: 0, allP50: 0, allMean: 0 });
    const queued = holdCauses(
      [
        [T + 100, T + 900],
        [T + 200, T + 300],
      ],
      [
        [T + 100, T + 900],
        [T + 200, T + 300],
        [T + 50, T + 150],
      ],
      segs,
      [],
    );
    // The packet at 100 arrived with the one from 50 (until 150) in the bridge, the one at 200
    // with the one from 100 (until 900): one ahead of each.
    expect(queued.ahead.allMean).toBe(1);
  });

  it("sums another thread's states over intervals (the peers' during the GC pauses)", () => {
    const peers = timeline(events, 300, who);
    // The peer (300) is first seen leaving a CPU at 5400: every switch is traced, so it ran
    // from the trace's start; after 5400 it waits (preempted) to the end of what is known.
    const s = statesOver(peers, [[T + 5000, T + 5400]]);
    expect(s.totalMs).toBeCloseTo(0.4);
    expect(s.percent).toEqual({ running: 100 });
    expect(statesOver(peers, [[T + 9600, T + 9700]]).percent).toEqual({ unknown: 100 });
    const m = statesOver(timeline(events, 200, who), [
      [T + 0, T + 1000],
      [T + 5000, T + 5400],
    ]);
    expect(m.percent).toEqual({
      running: (100 * 1000) / 1400,
      'waiting for a core behind the peers (this process)': (100 * 400) / 1400,
    });
  });
});
