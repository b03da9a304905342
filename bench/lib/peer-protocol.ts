/**
 * `--peer-processes N` of the SIP media benchmark: the calls' peers (phones and Matrix clients)
 * in N child processes (peer-child.ts), driven over IPC by peer-processes.ts. What they say to
 * each other, which process takes which end, and how one stream's figures are put back together
 * from the process that sent it and the one that received it. Pure: unit-tested.
 */
import { z } from 'zod';
import type { StreamFigures } from './media-peers.js';

/** Ends are dealt round-robin: each process an equal share of phones and of Matrix clients. */
export function processOf(end: number, processes: number): number {
  return end % processes;
}

/** Each process's stream ids start here (they travel in payloads: unique over the processes). */
export function idBase(process: number): number {
  return (process + 1) * 1_000_000;
}

export const toPeer = z.discriminatedUnion('type', [
  /** A phone: its offer's SDP back (its UDP socket bound). */
  z.object({ type: z.literal('phone'), req: z.number(), end: z.number() }),
  /** The bridge's answer to phone `end`. */
  z.object({ type: z.literal('phone-answer'), req: z.number(), end: z.number(), sdp: z.string() }),
  /** A Matrix client answering the bridge's offer: its answer's SDP back. */
  z.object({ type: z.literal('matrix'), req: z.number(), offer: z.string() }),
  /** Waits for the Matrix clients' WebRTC to connect: how many did. */
  z.object({ type: z.literal('connected'), req: z.number(), ms: z.number() }),
  /** Pacing on (every phone with media, every Matrix client), or off. */
  z.object({ type: z.literal('pace'), req: z.number(), on: z.boolean() }),
  z.object({ type: z.literal('measure'), req: z.number(), on: z.boolean() }),
  z.object({ type: z.literal('results'), req: z.number() }),
  z.object({ type: z.literal('close'), req: z.number() }),
]);
export type ToPeer = z.infer<typeof toPeer>;

/** What a process sent of one stream while measuring. */
export const sentStream = z.object({
  id: z.number(),
  /** Phones' streams go to Matrix ('a'), Matrix clients' to SIP ('b'). */
  way: z.enum(['a', 'b']),
  from: z.number(),
  to: z.number(),
  sentMeasured: z.number(),
  names: z.array(z.number().nullable()),
});
export type SentStream = z.infer<typeof sentStream>;

/** The arrivals a process saw, columns: stream id, index, one-way delay (ms), datagram name. */
export const arrivals = z.object({
  id: z.array(z.number()),
  index: z.array(z.number()),
  delay: z.array(z.number()),
  name: z.array(z.number()),
});
export type Arrivals = z.infer<typeof arrivals>;

export const fromPeer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sdp'), req: z.number(), sdp: z.string() }),
  z.object({ type: z.literal('done'), req: z.number() }),
  z.object({
    type: z.literal('connected'),
    req: z.number(),
    matrix: z.number(),
    failed: z.number(),
    phones: z.number(),
  }),
  z.object({
    type: z.literal('results'),
    req: z.number(),
    sent: z.array(sentStream),
    arrivals,
    /** Over the measured window: CPU (% of a core) and event loop delay (ms). */
    corePercent: z.number(),
    loopMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  }),
  z.object({ type: z.literal('error'), req: z.number(), message: z.string() }),
]);
export type FromPeer = z.infer<typeof fromPeer>;

/** A message off the IPC channel, or an error naming what was wrong with it. */
export function parseMessage<T>(schema: z.ZodType<T>, msg: unknown, from: string): T {
  const r = schema.safeParse(msg);
  if (!r.success) throw new Error(`${from}: unreadable message: ${r.error.message}`);
  return r.data;
}

/**
 * The streams each way as one process would have counted them (media-peers.ts `Stream.take`):
 * from each sender's window [from, to), the arrivals of that window, once each.
 */
export function mergeStreams(
  sent: SentStream[],
  all: Arrivals[],
): { a: StreamFigures[]; b: StreamFigures[] } {
  const byId = new Map<number, { s: SentStream; f: StreamFigures; seen: Set<number> }>();
  for (const s of sent) {
    const names = s.names.map((n) => n ?? undefined) as number[];
    const f: StreamFigures = {
      sentMeasured: s.sentMeasured,
      receivedMeasured: 0,
      delays: [],
      duplicates: 0,
      names: { sent: names, received: [] },
    };
    byId.set(s.id, { s, f, seen: new Set() });
  }
  for (const r of all)
    for (let i = 0; i < r.id.length; i++) {
      const e = byId.get(r.id[i]!);
      const index = r.index[i]!;
      if (!e || index < e.s.from || index >= e.s.to) continue;
      e.f.names.received[index - e.s.from] = r.name[i]!;
      if (e.seen.has(index)) {
        e.f.duplicates++;
        continue;
      }
      e.seen.add(index);
      e.f.receivedMeasured++;
      e.f.delays.push(r.delay[i]!);
    }
  const way = (w: 'a' | 'b') => [...byId.values()].filter((e) => e.s.way === w).map((e) => e.f);
  return { a: way('a'), b: way('b') };
}
