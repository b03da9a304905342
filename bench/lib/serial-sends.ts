/**
 * What caps one room's XMPP → Matrix rate when core sends its events one PUT at a time, in order
 * (`bench:xmpp -- --stages`, the burst phase): for each message that was already queued when the
 * one before it was answered, the cycle from one PUT to the next, split into the PUT's way to
 * the homeserver, the answer's way back, and the bridge's turn before the next PUT. The mean
 * cycle is the room's ceiling (1 / cycle messages a second) whatever the CPU per message.
 */
import type { StageTimes } from './stage-clock.js';
import { percentile, round } from './stats.js';

export interface SerialSends {
  /** Pairs of consecutive messages where the second waited for the first's answer. */
  pairs: number;
  /** ms, means: PUT handed to HTTP → homeserver got it → answer read → the next PUT handed over. */
  toHomeserver: number;
  back: number;
  turn: number;
  /** ms, the whole cycle: mean and p50. */
  cycle: number;
  cycleP50: number;
}

/**
 * `bodies` in the order they were sent (one room); `times` their stages (epoch ms); `arrived`
 * when the homeserver got each (epoch ms).
 */
export function serialSends(
  bodies: string[],
  times: StageTimes,
  arrived: Map<string, number>,
): SerialSends | undefined {
  const to: number[] = [];
  const back: number[] = [];
  const turn: number[] = [];
  for (let i = 0; i + 1 < bodies.length; i++) {
    const a = times[bodies[i]!];
    const b = times[bodies[i + 1]!];
    const got = arrived.get(bodies[i]!);
    if (!a?.http || !a.answered || got === undefined || !b?.http || !b.scheduled) continue;
    if (b.scheduled > a.answered) continue; // the room's queue was empty: not a back-to-back pair
    to.push(got - a.http);
    back.push(a.answered - got);
    turn.push(b.http - a.answered);
  }
  if (to.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const cycles = to.map((t, i) => t + back[i]! + turn[i]!).sort((x, y) => x - y);
  return {
    pairs: to.length,
    toHomeserver: mean(to),
    back: mean(back),
    turn: mean(turn),
    cycle: mean(cycles),
    cycleP50: percentile(cycles, 50),
  };
}

export function serialLine(s: SerialSends | undefined): string {
  if (!s) return '  one PUT at a time: no message waited for the one before it';
  const ms = (v: number) => round(v, 3);
  return (
    `  one PUT at a time (${s.pairs} messages queued behind the one before): a cycle ${ms(s.cycle)} ms mean, ${ms(s.cycleP50)} p50 ` +
    `= PUT handed to HTTP → homeserver got it ${ms(s.toHomeserver)} + → answer read ${ms(s.back)} + → the next PUT handed over ${ms(s.turn)}; ` +
    `the room's ceiling ≈ ${round(1000 / s.cycle)} msg/s`
  );
}
