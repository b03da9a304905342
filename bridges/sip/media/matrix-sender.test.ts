import { describe, expect, it, vi } from 'vitest';
import { RtpHeader, RtpPacket, type RTCRtpSender } from 'werift';
import { MatrixSender } from './matrix-sender.js';

/** A stand-in for werift's RTCRtpSender: the fields the lean path reads and writes. */
function fakeSender(over: Record<string, unknown> = {}) {
  const sent: { payload: Buffer; header: RtpHeader }[] = [];
  const s = {
    ssrc: 0xabc,
    codec: { payloadType: 0 },
    headerExtensions: [],
    redRedundantPayloadType: undefined,
    dtlsTransport: {
      state: 'connected',
      sendRtp: async (payload: Buffer, header: RtpHeader) => {
        sent.push({ payload, header: new RtpHeader({ ...header }) });
        return payload.length;
      },
    },
    ntpTimestamp: 0n,
    rtpTimestamp: 0,
    packetCount: 0,
    octetCount: 0,
    runRtcp: vi.fn(async () => undefined),
    ...over,
  };
  return { s, sent, sender: new MatrixSender(s as unknown as RTCRtpSender) };
}

const packet = (seq: number, timestamp: number, pt = 8) =>
  new RtpPacket(
    new RtpHeader({ ssrc: 0x1234, sequenceNumber: seq, timestamp, payloadType: pt }),
    Buffer.alloc(160, seq),
  );

describe('MatrixSender', () => {
  it('sends the phone’s packets as its own stream: SSRC, codec, one more each, timestamps moved', () => {
    const { s, sent, sender } = fakeSender();
    expect(sender.send(packet(500, 8000))).toBe(true);
    expect(sender.send(packet(9, 8160))).toBe(true); // the phone's numbering jumped: ours does not
    expect(sender.send(packet(10, 8320), 101)).toBe(true); // a telephone-event
    expect(sent.map((p) => p.header.ssrc)).toEqual([0xabc, 0xabc, 0xabc]);
    expect(sent.map((p) => p.header.payloadType)).toEqual([0, 0, 101]);
    const [a, b, c] = sent.map((p) => p.header);
    expect(b!.sequenceNumber).toBe((a!.sequenceNumber + 1) & 0xffff);
    expect(c!.sequenceNumber).toBe((a!.sequenceNumber + 2) & 0xffff);
    expect((b!.timestamp - a!.timestamp) >>> 0).toBe(160);
    expect(sent[1]!.payload).toEqual(Buffer.alloc(160, 9));
    // What werift's sender reports (RTCP SR) read: counts, and a timestamp pair; started once.
    expect(s.packetCount).toBe(3);
    expect(s.octetCount).toBe(480);
    expect(s.rtpTimestamp).toBe(a!.timestamp);
    expect(s.ntpTimestamp).toBeGreaterThan(0n);
    expect(s.runRtcp).toHaveBeenCalledTimes(1);
  });

  it('drops packets until the DTLS transport is connected, as werift does', () => {
    const { sent, sender } = fakeSender({
      dtlsTransport: { state: 'connecting', sendRtp: async () => 0 },
    });
    expect(sender.send(packet(1, 160))).toBe(true);
    expect(sent).toHaveLength(0);
  });

  it('leaves the packet to werift when header extensions or RED were negotiated', () => {
    expect(fakeSender({ headerExtensions: [{ id: 1 }] }).sender.send(packet(1, 160))).toBe(false);
    expect(fakeSender({ redRedundantPayloadType: 63 }).sender.send(packet(1, 160))).toBe(false);
  });
});
