import { afterEach, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { codecs, gathered, keepNoSentPackets } from './legs.js';
import { MatrixReceiver } from './matrix-receiver.js';
import { MatrixSender } from './matrix-sender.js';

interface Got {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: string;
}

const got = (p: RtpPacket): Got => ({
  payloadType: p.header.payloadType,
  sequenceNumber: p.header.sequenceNumber,
  timestamp: p.header.timestamp,
  marker: p.header.marker,
  payload: p.payload.toString('hex'),
});

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const connected = (pc: RTCPeerConnection) =>
  until(() => pc.connectionState === 'connected', 15_000);

/**
 * Two werift peers on loopback: `a` sends with the relay's lean sender, `b` receives with the
 * lean receiver in front of werift's (`lean`) or werift's own pipeline only. What `b`'s
 * application sees is recorded either way.
 */
async function pair(lean: boolean) {
  const a = new RTCPeerConnection({ codecs, iceServers: [] });
  const b = new RTCPeerConnection({ codecs, iceServers: [] });
  const seen: Got[] = [];
  const tracks = new WeakSet<MediaStreamTrack>();
  b.onTrack.subscribe((t) => {
    if (tracks.has(t)) return;
    tracks.add(t);
    t.onReceiveRtp.subscribe((p) => seen.push(got(p)));
  });
  const ta = a.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
  keepNoSentPackets(ta.sender);
  const sender = new MatrixSender(ta.sender);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription({ type: 'offer', sdp: await gathered(a) });
  const tb = b.getTransceivers()[0]!;
  const receiver = lean
    ? MatrixReceiver.install(b, tb.receiver, (p) => seen.push(got(p)))
    : undefined;
  tb.setDirection('recvonly');
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription({ type: 'answer', sdp: await gathered(b) });
  await Promise.all([connected(a), connected(b)]);
  // The sender drops packets until its DTLS transport is connected.
  await until(
    () =>
      (ta.sender as unknown as { dtlsTransport?: { state: string } }).dtlsTransport?.state ===
      'connected',
  );
  return { a, b, sender, seen, receiver, tb };
}

/** The same packets each time: PCMU, PCMA, telephone-events, and a type nobody negotiated. */
function packets(): { packet: RtpPacket; pt: number }[] {
  const out: { packet: RtpPacket; pt: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const pt = i % 10 === 7 ? 96 : i % 10 === 5 ? 101 : i % 2 === 0 ? 0 : 8;
    const payload = Buffer.alloc(pt === 101 ? 4 : 160);
    for (let k = 0; k < payload.length; k++) payload[k] = (i * 31 + k * 7) & 0xff;
    out.push({
      packet: new RtpPacket(new RtpHeader({ timestamp: i * 160, marker: i === 0 }), payload),
      pt,
    });
  }
  return out;
}

async function run(lean: boolean) {
  const p = await pair(lean);
  cleanup.push(
    () => p.a.close(),
    () => p.b.close(),
  );
  const list = packets();
  for (const { packet, pt } of list) {
    expect(p.sender.send(packet, pt)).toBe(true);
    await new Promise((r) => setTimeout(r, 2)); // in order, as a 20 ms stream arrives
  }
  const expected = list.filter((x) => x.pt !== 96).length;
  await until(() => p.seen.length >= expected);
  await new Promise((r) => setTimeout(r, 50)); // anything more that would come
  const stats = [...(await p.tb.receiver.getStats()).values()].find(
    (s) => (s as { type: string }).type === 'inbound-rtp',
  ) as unknown as { packetsReceived: number; bytesReceived: number; packetsLost: number };
  return { seen: p.seen, stats, receiver: p.receiver };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

describe('MatrixReceiver', () => {
  it('gives the application what werift’s own receiver does, and keeps its statistics', async () => {
    const werift = await run(false);
    const lean = await run(true);
    // Sequence numbers and timestamps are each sender's own (random starts): compare the steps.
    const steps = (xs: Got[]) =>
      xs.map((x) => ({
        ...x,
        sequenceNumber: (x.sequenceNumber - xs[0]!.sequenceNumber) & 0xffff,
        timestamp: (x.timestamp - xs[0]!.timestamp) >>> 0,
      }));
    expect(lean.seen).toHaveLength(36); // 40 sent, 4 of a payload type not negotiated
    expect(steps(lean.seen)).toEqual(steps(werift.seen));
    expect(lean.seen.map((x) => x.payloadType)).not.toContain(96);
    // All but the first (werift's: it sets up the stream's statistics and receiver reports).
    expect(lean.receiver!.counts).toEqual({ delivered: 35, dropped: 4, werift: 1 });
    // What werift's receiver reports (RTCP RR, getStats) counts every packet either way.
    expect(lean.stats.packetsReceived).toBe(werift.stats.packetsReceived);
    expect(lean.stats.bytesReceived).toBe(werift.stats.bytesReceived);
    expect(lean.stats.packetsReceived).toBe(36);
    // The 4 dropped took sequence numbers: lost to the receiver's statistics, as with werift's.
    expect(lean.stats.packetsLost).toBe(werift.stats.packetsLost);
  }, 60_000);
});
