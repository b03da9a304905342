/**
 * One run of a pipeline scenario: a fresh database, the fake homeserver, the bridge in its own
 * process; portal rooms set up and warmed up; then the benchmark's transactions over HTTP, timed.
 */
import type { ClientEvent } from '../../src/matrix/events.js';
import { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import type { BridgeStats } from '../bridge-process.js';
import { BridgeProcess } from './bridge-handle.js';
import type { DbTarget } from './databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, ECHO_GHOST, HS_TOKEN } from './identities.js';
import type { BenchOptions, Log } from './options.js';
import { push, sleep, TransactionPusher, waitUntil } from './pusher.js';
import { MB, percentile, round } from './stats.js';

/**
 * `echo`: portal rooms of the echo bridge, every event echoed back (the whole pipeline).
 * `ingest`: ordinary rooms with no portal, so each event is stored, routed to nobody and marked
 * done: the acknowledgement path with next to nothing behind it.
 * `paced`: like echo, but a light load (PACED below) for the latency of an unloaded bridge.
 */
export type PipelineScenario = 'echo' | 'ingest' | 'paced';

/** 10-event transactions, one every 100 ms: ~100 events/s, far below what the pipeline takes. */
const PACED = { txns: 100, size: 10, gapMs: 100 };

export interface PipelineResult {
  scenario: PipelineScenario;
  db: 'sqlite' | 'postgres';
  inFlight: number;
  transactions: number;
  events: number;
  ackSeconds: number;
  ackEventsPerSecond: number;
  /** PUT → 200 of one transaction. */
  ackMs: { p50: number; p99: number; max: number };
  /** First PUT → the last echo reaching the homeserver (echo scenario only). */
  e2eSeconds: number | null;
  e2eEventsPerSecond: number | null;
  echoesMissing: number | null;
  /** PUT start of the event's transaction → its echo's send reaching the homeserver. */
  latencyMs: { p50: number; p99: number; max: number } | null;
  peakRssMB: number;
  peakHeapUsedMB: number;
  peakHeapTotalMB: number;
  bridgeCpuSeconds: number;
  /** Of which in the kernel (fsync's work shows here). */
  bridgeCpuSystemSeconds: number;
  bridgeCpuMsPerEvent: number;
  /** CPU of this process (the homeserver's side: encoding and sending transactions, taking echoes). */
  driverCpuSeconds: number;
}

export async function pipelineRun(
  target: DbTarget,
  scenario: PipelineScenario,
  inFlight: number,
  options: BenchOptions,
  log: Log,
): Promise<PipelineResult> {
  const { rooms, usersPerRoom, e2eTimeoutMs } = options;
  const { txns, size, gapMs } = scenario === 'paced' ? PACED : { ...options, gapMs: 0 };
  const total = txns * size;
  const echoed = scenario !== 'ingest';
  const database = await target.fresh();
  const hs = await FakeHomeserver.start({
    serverName: DOMAIN,
    asToken: AS_TOKEN,
    hsToken: HS_TOKEN,
    senderLocalpart: BOT,
    userNamespace: new RegExp(`^@echo_.*:${DOMAIN}$`),
    recordRequests: false,
  });
  const bridge = new BridgeProcess();
  try {
    // Every echo's arrival, matched to the benchmark event it answers by its reply relation.
    const indexOf = new Map<string, number>();
    const arrival = new Float64Array(total).fill(NaN);
    let echoes = 0;
    let warmupEchoes = 0;
    let lastArrival = 0;
    const world = hs.world;
    const append = world.append.bind(world);
    world.append = (room, fields, ts) => {
      const ev = append(room, fields, ts);
      if (fields.sender === ECHO_GHOST && fields.type === 'm.room.message') {
        const relates = fields.content['m.relates_to'] as
          { 'm.in_reply_to'?: { event_id?: string } } | undefined;
        const i = indexOf.get(relates?.['m.in_reply_to']?.event_id ?? '');
        if (i === undefined) warmupEchoes++;
        else if (Number.isNaN(arrival[i]!)) {
          arrival[i] = lastArrival = performance.now();
          echoes++;
        }
      }
      return ev;
    };

    const { port } = await bridge.ask(
      {
        type: 'start',
        config: {
          ...benchConfig(hs.url, database.url),
          bridges: { echo: { enabled: true } },
        },
      },
      'ready',
    );
    const asUrl = `http://127.0.0.1:${port}`;
    hs.appserviceUrl = asUrl;

    const portalRooms: { roomId: string; users: string[] }[] = [];
    for (let r = 0; r < rooms; r++) {
      const users = Array.from({ length: usersPerRoom }, (_, u) => `@user${r}_${u}:${DOMAIN}`);
      users.forEach((userId, u) => hs.addUser(userId, { displayname: `User ${r}.${u}` }));
      let roomId: string;
      if (echoed) {
        // A portal made the way a user's join by alias makes one: the homeserver's alias query.
        const alias = `#echo_bench${r}:${DOMAIN}`;
        const res = await fetch(`${asUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, {
          headers: { authorization: `Bearer ${HS_TOKEN}` },
        });
        if (res.status !== 200)
          throw new Error(`alias query ${alias}: ${res.status} ${await res.text()}`);
        const made = world.aliases.get(alias);
        if (!made) throw new Error(`alias ${alias} made no room`);
        roomId = made;
      } else {
        roomId = hs.createRoom(users[0]!, { preset: 'public_chat' });
      }
      for (const userId of users) hs.join(roomId, userId);
      portalRooms.push({ roomId, users });
    }
    // Warm-up, not timed: the joins, then one message from every user (the echo ghost registers
    // and joins each room, member names are learnt, statements are prepared).
    const joins = portalRooms.flatMap(({ roomId }) =>
      hs.events(roomId).filter((e) => e.type === 'm.room.member'),
    );
    await push(hs, joins);
    const warm = portalRooms.flatMap(({ roomId, users }) =>
      users.map((u) => hs.send(roomId, u, { msgtype: 'm.text', body: 'warm-up' })),
    );
    await push(hs, warm);
    if (echoed) await waitUntil(() => warmupEchoes >= warm.length, 30_000, 'warm-up echoes');
    else await sleep(500);

    // The benchmark's events, made before the clock starts: m.room.message, rooms round-robin.
    const batches: ClientEvent[][] = [];
    for (let t = 0; t < txns; t++) {
      const batch: ClientEvent[] = [];
      for (let k = 0; k < size; k++) {
        const i = t * size + k;
        const room = portalRooms[i % rooms]!;
        const sender = room.users[Math.floor(i / rooms) % usersPerRoom]!;
        const ev = hs.send(room.roomId, sender, {
          msgtype: 'm.text',
          body: `bench message ${i}: the quick brown fox jumps over the lazy dog`,
        });
        indexOf.set(ev.event_id, i);
        batch.push(ev);
      }
      batches.push(batch);
    }

    // Bodies encoded before the clock starts and sent over node:http: the homeserver's side stays
    // cheap, so the time measured is the bridge's. Same body and headers as the fake homeserver's
    // pushTransaction (which the warm-up above used).
    const bodies = batches.map((events) =>
      Buffer.from(
        JSON.stringify({
          events,
          'de.sorunome.msc2409.ephemeral': [],
          'de.sorunome.msc2409.to_device': [],
        }),
      ),
    );
    const pusher = new TransactionPusher(port, HS_TOKEN, inFlight);
    await bridge.ask({ type: 'mark' }, 'marked');
    const putStart = new Float64Array(txns);
    const putEnd = new Float64Array(txns);
    let next = 0;
    const driverCpu = process.cpuUsage();
    const started = performance.now();
    const worker = async () => {
      for (let t = next++; t < txns; t = next++) {
        putStart[t] = performance.now();
        const res = await pusher.put(`bench.${t}`, bodies[t]!);
        if (res.status !== 200)
          throw new Error(`transaction bench.${t}: ${res.status} ${res.body}`);
        putEnd[t] = performance.now();
        if (gapMs) await sleep(gapMs);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const acked = Math.max(...putEnd);
    if (echoed) {
      await waitUntil(() => echoes >= total, e2eTimeoutMs, 'echoes').catch((err: Error) =>
        log(`  ! ${err.message}`),
      );
    }
    const driver = process.cpuUsage(driverCpu);
    pusher.close();
    const stats: BridgeStats = await bridge.ask({ type: 'stats' }, 'stats');

    const latencies: number[] = [];
    for (let i = 0; i < total; i++) {
      if (!Number.isNaN(arrival[i]!)) latencies.push(arrival[i]! - putStart[Math.floor(i / size)]!);
    }
    latencies.sort((a, b) => a - b);
    const acks = Array.from(putEnd, (end, t) => end - putStart[t]!).sort((a, b) => a - b);
    const ackSeconds = (acked - started) / 1000;
    const e2eSeconds = ((echoes >= total ? lastArrival : performance.now()) - started) / 1000;
    return {
      scenario,
      db: target.kind,
      inFlight,
      transactions: txns,
      events: total,
      ackSeconds: round(ackSeconds, 3),
      ackEventsPerSecond: Math.round(total / ackSeconds),
      ackMs: {
        p50: round(percentile(acks, 50)),
        p99: round(percentile(acks, 99)),
        max: round(acks.at(-1)!),
      },
      e2eSeconds: echoed ? round(e2eSeconds, 3) : null,
      e2eEventsPerSecond: echoed ? Math.round(echoes / e2eSeconds) : null,
      echoesMissing: echoed ? total - echoes : null,
      latencyMs: echoed
        ? {
            p50: round(percentile(latencies, 50)),
            p99: round(percentile(latencies, 99)),
            max: round(latencies.at(-1) ?? NaN),
          }
        : null,
      peakRssMB: round(stats.peakRssBytes / MB),
      peakHeapUsedMB: round(stats.peakHeapUsedBytes / MB),
      peakHeapTotalMB: round(stats.peakHeapTotalBytes / MB),
      bridgeCpuSeconds: round(stats.cpuMs / 1000, 2),
      bridgeCpuSystemSeconds: round(stats.cpuSystemMs / 1000, 2),
      bridgeCpuMsPerEvent: round(stats.cpuMs / total, 3),
      driverCpuSeconds: round((driver.user + driver.system) / 1e6, 2),
    };
  } finally {
    await bridge.stop().catch(() => undefined);
    await hs.close();
    await database.cleanup();
  }
}

/** The lines printed for one run, indented under its heading. */
export function describePipeline(r: PipelineResult): string {
  const lines = [
    `ack ${r.ackEventsPerSecond} ev/s (${r.ackSeconds} s; PUT→200 p50 ${r.ackMs.p50} ms, p99 ${r.ackMs.p99} ms)`,
  ];
  if (r.scenario !== 'ingest') {
    lines.push(
      `end-to-end ${r.e2eEventsPerSecond} ev/s (${r.e2eSeconds} s${r.echoesMissing ? `, ${r.echoesMissing} echoes MISSING` : ''})`,
      `latency p50 ${r.latencyMs?.p50} ms, p99 ${r.latencyMs?.p99} ms, max ${r.latencyMs?.max} ms`,
    );
  }
  lines.push(
    `bridge peak RSS ${r.peakRssMB} MB, heap used ${r.peakHeapUsedMB} MB (total ${r.peakHeapTotalMB} MB), ` +
      `CPU ${r.bridgeCpuSeconds} s (${r.bridgeCpuSystemSeconds} s system; ${r.bridgeCpuMsPerEvent} ms/event); driver CPU ${r.driverCpuSeconds} s`,
  );
  return lines.join('\n    ');
}
