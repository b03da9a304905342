/**
 * The XMPP benchmark's line for Prosody alone the way the bridge must use it: a room of its own
 * (the bridge is not in it) with the same population, Alice, Bob and as many occupants on a plain
 * XEP-0114 component in the benchmark's process (xmpp-plain-component.ts) as the portal has Matrix
 * speakers. The same message from Alice (a client) and from a component occupant: what differs is
 * Prosody's component path. And the control: the bridge and the plain component at once.
 */
import { pace, sleep, waitUntil } from './pusher.js';
import type { StageTimes } from './stage-clock.js';
import {
  afterWrite,
  carolSays,
  epoch,
  latency,
  msgs,
  rateOf,
  sentAt,
  show,
  stamp,
  type Latency,
} from './xmpp-measure.js';
import { PlainComponent } from './xmpp-plain-component.js';
import type { XmppPeer } from './xmpp-peer.js';
import type { XmppReceiver } from './xmpp-receiver.js';

export const PLAIN_MUC = 'plain@conference.localhost';
/** Messages in one write of the plain component, as a homeserver's transaction brings them. */
export const TXN_SIZE = 100;

export interface PlainRoomContext {
  componentPort: number;
  alice: XmppPeer;
  bob: XmppPeer;
  carol: XmppReceiver;
  speakers: number;
  occupants: number;
  messages: number;
  paced: number;
  rate: number;
  log: (line: string) => void;
  /** Starts counting Prosody's CPU for a phase; `prosodyPer(n)` says it per message. */
  prosodyFrom(): void;
  prosodyPer(n: number): string;
  /** Latency to Carol of the messages sent at `sent` (this process's times). */
  toCarol(prefix: string, sent: Map<string, number>): Promise<Latency>;
  /** This process's own loop delay p99 since the last call or reset. */
  benchLoopP99(): string;
  resetBenchLoop(): void;
}

export interface PlainRoomLine {
  /** msg/s: client → MUC (the copies to the component), and component → MUC → client. */
  c2s: number;
  component: number;
  /** A plain component's message → Carol at `rate`. */
  componentToCarol: Latency;
}

/** Joins the plain component's occupants and measures the line; the component stays connected. */
export async function plainRoomLine(
  ctx: PlainRoomContext,
): Promise<{ line: PlainRoomLine; plain: PlainComponent }> {
  const { alice, bob, messages, paced, rate, log, prosodyFrom, prosodyPer } = ctx;
  const plain = await PlainComponent.connect(ctx.componentPort, 'plain.localhost', 'plainsecret');
  await alice.join(PLAIN_MUC, 'Alice');
  await bob.join(PLAIN_MUC, 'Bob');
  await plain.join(PLAIN_MUC, ctx.speakers);
  const where = `${PLAIN_MUC}, ${ctx.occupants} occupants, ${ctx.speakers} of them on a plain component`;
  await plain.say(PLAIN_MUC, ['pw']);
  alice.say(PLAIN_MUC, 'pv');
  await waitUntil(() => bob.arrivals.has('pw') && bob.arrivals.has('pv'), 30_000, 'plain warm-up');

  prosodyFrom();
  let t0 = performance.now();
  for (const b of msgs('pc', messages)) alice.say(PLAIN_MUC, b);
  await waitUntil(() => bob.arrivals.has(`pc ${messages - 1}`), 300_000, 'plain, client');
  const c2sMs = bob.arrivals.get(`pc ${messages - 1}`)! - t0;
  const c2sProsody = prosodyPer(messages);
  await sleep(500);
  prosodyFrom();
  t0 = performance.now();
  const bodies = msgs('pk', messages);
  for (let i = 0; i < messages; i += TXN_SIZE)
    await plain.say(PLAIN_MUC, bodies.slice(i, i + TXN_SIZE), i);
  await waitUntil(() => bob.arrivals.has(`pk ${messages - 1}`), 300_000, 'plain, component');
  const componentMs = bob.arrivals.get(`pk ${messages - 1}`)! - t0;
  log(
    `Prosody alone (${where}): client → MUC → client ${rateOf(messages, c2sMs)} (${c2sProsody}); component → MUC → client (bursts of ${TXN_SIZE} in one write) ${rateOf(messages, componentMs)} (${prosodyPer(messages)})`,
  );
  await sleep(500);

  const c2sSent = sentAt();
  ctx.resetBenchLoop();
  prosodyFrom();
  await pace(paced, rate, (from, to) => {
    for (const b of stamp(c2sSent, 'pl', from, to)) alice.say(PLAIN_MUC, b);
  });
  await waitUntil(() => [...c2sSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'pl');
  const plProsody = prosodyPer(paced);
  log(
    `Prosody alone at ${rate} msg/s, client → MUC → client (${where}): ${show(latency(c2sSent, bob.arrivals))}; ${carolSays(await ctx.toCarol('pl ', c2sSent))}; ${ctx.benchLoopP99()}; ${plProsody}`,
  );
  const componentSent = sentAt();
  prosodyFrom();
  await pace(paced, rate, (from, to) =>
    plain.say(PLAIN_MUC, stamp(componentSent, 'pm', from, to), from),
  );
  await waitUntil(() => [...componentSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'pm');
  const pmProsody = prosodyPer(paced);
  const componentToCarol = await ctx.toCarol('pm ', componentSent);
  log(
    `Prosody alone at ${rate} msg/s, component → MUC → client (${where}): ${show(latency(componentSent, bob.arrivals))}; ${carolSays(componentToCarol)}; ${ctx.benchLoopP99()}; ${pmProsody}`,
  );
  await sleep(500);
  return {
    line: {
      c2s: (messages * 1000) / c2sMs,
      component: (messages * 1000) / componentMs,
      componentToCarol,
    },
    plain,
  };
}

/**
 * The control: Matrix → XMPP again while the plain component says as much in its own room, at
 * the same time (half the rate each), so both paths see the same machine, Prosody and clients. A
 * gap between the two is the bridge's path; the same latency is the machine's or Prosody's.
 */
export async function controlRun(
  ctx: PlainRoomContext,
  plain: PlainComponent,
  sendFromMatrix: (bodies: string[], offset: number) => Promise<void>,
  /** The bridge's stage times of the messages with this prefix (with --stages). */
  stages?: (prefix: string) => Promise<StageTimes>,
): Promise<void> {
  const viaBridge = sentAt();
  const viaPlain = sentAt();
  const half = ctx.rate / 2;
  await Promise.all([
    pace(ctx.paced / 2, half, (from, to) => sendFromMatrix(stamp(viaBridge, 'c', from, to), from)),
    pace(ctx.paced / 2, half, (from, to) =>
      plain.say(PLAIN_MUC, stamp(viaPlain, 'k', from, to), from),
    ),
  ]);
  const bridgeToCarol = await ctx.carol.arrivals('c ', [...viaBridge.keys()]);
  const plainToCarol = await ctx.toCarol('k ', viaPlain);
  ctx.log(
    `Control, ${half} msg/s each at the same time: Matrix → XMPP (transaction → Carol) ${show(latency(epoch(viaBridge), bridgeToCarol))}; a plain component's message → Carol ${show(plainToCarol)}`,
  );
  if (stages)
    ctx.log(
      `  the bridge's socket took it → Carol got it: ${afterWrite(viaBridge, bridgeToCarol, await stages('c '))}`,
    );
}

/** One socket write of the bridge: `count` stanzas, `at` ms after the phase's first write. */
export interface WriteGroup {
  at: number;
  count: number;
}

/**
 * The bridge's paced Matrix → XMPP messages as it wrote them (--stages): in order of their
 * `written` times, those written within `gapMs` of the one before went in the same write (one
 * callback run marks them all, microseconds apart).
 */
export function writeGroups(
  sent: Map<string, number>,
  times: StageTimes,
  gapMs = 0.2,
): WriteGroup[] {
  const written = [...sent.keys()]
    .map((b) => times[b]?.written)
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  const groups: WriteGroup[] = [];
  let last = -Infinity;
  for (const t of written) {
    if (t - last > gapMs) groups.push({ at: t - written[0]!, count: 0 });
    groups.at(-1)!.count++;
    last = t;
  }
  return groups;
}

/**
 * Prosody alone with the bridge's shape: the plain component writes the same groups at the same
 * times as the bridge did (`writeGroups`), so the only difference left is the bridge's process
 * on the machine (and its way to the socket). Latency to Carol of the `pg` messages.
 */
export async function replayLine(
  ctx: PlainRoomContext,
  plain: PlainComponent,
  groups: WriteGroup[],
): Promise<Latency> {
  const sent = sentAt();
  const t0 = performance.now();
  let n = 0;
  for (const g of groups) {
    while (performance.now() - t0 < g.at) await sleep(1);
    await plain.say(PLAIN_MUC, stamp(sent, 'pg', n, n + g.count), n);
    n += g.count;
  }
  await waitUntil(() => [...sent.keys()].every((b) => ctx.bob.arrivals.has(b)), 60_000, 'pg');
  return ctx.toCarol('pg ', sent);
}
