/**
 * `bench:sip-media`'s report of where the packets the bridge held longest waited: the media
 * thread's states from the scheduler trace (sched-trace.ts) split by hold-causes.ts, and where the
 * peers' main thread was during the media thread's GC pauses (peers that wait behind the bridge
 * flatter its hold).
 */
import { writeFileSync } from 'node:fs';
import type { LoopDelay } from '../../bridges/sip/media/relay-protocol.js';
import { holdCauses, statesOver, taskLabels, timeline, type HoldCauses } from './hold-causes.js';
import { SchedTrace, type SchedEvent } from './sched-trace.js';
import { round } from './stats.js';

/** The scheduler trace over the window, or undefined (told why in a line: `off`, or not here). */
export function openSchedTrace(off: boolean, log: (line: string) => void): SchedTrace | undefined {
  if (off) {
    log('where the held packets waited (scheduler trace): off (--no-sched-trace)');
    return undefined;
  }
  const t = SchedTrace.open();
  if (typeof t === 'string') {
    log(`where the held packets waited (scheduler trace): off (${t})`);
    return undefined;
  }
  log(
    'where the held packets waited: on (ftrace sched_switch and sched_waking over the window; --no-sched-trace to leave out)',
  );
  return t;
}

export interface HoldWindow {
  sched: { events: SchedEvent[]; lost: number };
  /** Each packet's [in, out] on the wire (µs), each way. */
  pairs: { toMatrix: [number, number][]; toSip: [number, number][] };
  /** The bridge's media threads' figures (tids, GC pauses). */
  media: LoopDelay[];
  bridgePid: number;
  tids: { bench: Set<number>; bridge: Set<number> };
  /** The peers' sending thread, and what it is (this process, or one of the peer processes). */
  peers: { tid: number; label: string };
}

export function reportHoldCauses(
  w: HoldWindow,
  log: (line: string) => void,
): { causes?: { toMatrix: HoldCauses; toSip: HoldCauses }; peersDuringGc?: unknown } {
  let causes: { toMatrix: HoldCauses; toSip: HoldCauses } | undefined;
  let peersDuringGc: unknown;
  const media = w.media.flatMap((d) => (d.tid ? [d.tid] : []));
  const pauses = w.media.flatMap((d) => d.gc?.pauses ?? []);
  const who = taskLabels({
    media: new Set(media),
    bridgeMain: w.bridgePid,
    bridge: w.tids.bridge,
    bench: w.tids.bench,
  });
  if (media.length === 1) {
    const segs = timeline(w.sched.events, media[0]!, who);
    if (process.env.SWITCHBOARD_BENCH_SCHED_DUMP)
      writeFileSync(
        process.env.SWITCHBOARD_BENCH_SCHED_DUMP,
        JSON.stringify({ segs, pauses, pairs: w.pairs }),
      );
    const every = [...w.pairs.toMatrix, ...w.pairs.toSip];
    causes = {
      toMatrix: holdCauses(w.pairs.toMatrix, every, segs, pauses),
      toSip: holdCauses(w.pairs.toSip, every, segs, pauses),
    };
    describeCauses(log, causes, w.sched.events.length, w.sched.lost);
    // The peers stand in for other machines: were they held up while the bridge collected?
    const peers = timeline(w.sched.events, w.peers.tid, who);
    const inPauses = statesOver(
      peers,
      pauses.map(([s, d]) => [s, s + d] as [number, number]),
    );
    const first = every.reduce((m, p) => Math.min(m, p[0]), Infinity);
    const last = every.reduce((m, p) => Math.max(m, p[1]), -Infinity);
    const overall = statesOver(peers, [[first, last]]);
    const top = (o: typeof overall) =>
      Object.entries(o.percent)
        .slice(0, 4)
        .map(([k, v]) => `${k} ${round(v, 1)} %`)
        .join(', ');
    log(
      `  the peers' main thread (${w.peers.label}): over the media thread's GC pauses (${round(inPauses.totalMs)} ms) ${top(inPauses)}; over the window ${top(overall)}`,
    );
    peersDuringGc = { inPauses, overall };
    // Phones and Matrix clients are other machines: a peer that waits for a core behind the
    // bridge does not send while the bridge is busy, and the bridge's hold looks shorter.
    const behindBridge = Object.entries(overall.percent)
      .filter(([k]) => /^waiting for a core behind (a media thread|the bridge)/.test(k))
      .reduce((sum, [, v]) => sum + v, 0);
    if (behindBridge >= 1)
      log(
        `  NOTE: the peers waited for a core behind the bridge's threads ${round(behindBridge, 1)} % of the window` +
          ` (${round(inPauses.percent['waiting for a core behind a media thread'] ?? 0)} % of its GC pauses): packets were not sent` +
          ' while the bridge was busy, as phones on other machines would, so the hold above is flattered; --pin keeps them apart',
      );
  } else log('  where the held packets waited: told for one media thread only (--threads 1)');
  return { causes, peersDuringGc };
}

function describeCauses(
  log: (line: string) => void,
  c: { toMatrix: HoldCauses; toSip: HoldCauses },
  events: number,
  lost: number,
): void {
  log(
    `  where the held packets waited (the media thread's states from ${events} scheduler events` +
      (lost ? `, ${lost} LOST: the figures are not whole` : ', none lost') +
      '; mean ms per packet, the slowest against all):',
  );
  const fmt = (by: Record<string, number>, keys: string[]) =>
    keys.map((k) => `${k} ${round(by[k] ?? 0, 3)}`).join('; ');
  for (const [label, h] of [
    ['SIP → Matrix', c.toMatrix],
    ['Matrix → SIP', c.toSip],
  ] as const) {
    // The states that weigh most for the slowest, then those that weigh most for all.
    const keys = [
      ...new Set([
        ...Object.keys(h.slowestByState).slice(0, 6),
        ...Object.keys(h.allByState).slice(0, 3),
      ]),
    ];
    log(
      `  ${label.padEnd(16)} the ${h.slowest} held ≥ p99 (${round(h.p99HoldMs, 2)} ms), mean ${round(h.slowestMeanMs, 2)} ms: ${fmt(h.slowestByState, keys)}`,
    );
    log(
      `  ${''.padEnd(16)} all ${h.packets}, mean ${round(h.allMeanMs, 3)} ms: ${fmt(h.allByState, keys)}`,
    );
    log(
      `  ${''.padEnd(16)} packets in the bridge ahead of each on arrival (both ways): the slowest p50 ${h.ahead.slowestP50}, mean ${round(h.ahead.slowestMean, 1)}; all p50 ${h.ahead.allP50}, mean ${round(h.ahead.allMean, 1)}`,
    );
  }
}
