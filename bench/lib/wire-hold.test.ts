import { describe, expect, it } from 'vitest';
import { byKey, RtpLineParser, wireHold, wireKey, type WirePacket } from './wire-hold.js';

/** Lines as `tcpdump -r capture -n -tt -v -T rtp` prints them (4.99, one packet = two lines). */
const LINES = `reading from file rtp.pcap, link-type EN10MB (Ethernet), snapshot length 96
1796602678.129289 IP (tos 0x0, ttl 64, id 22875, offset 0, flags [DF], proto UDP (17), length 200)
    127.0.0.1.46602 > 127.0.0.1.45999: udp/rtp 160 c0 * 65535 4000000000 3735928559
1796602678.129371 IP (tos 0x0, ttl 64, id 22876, offset 0, flags [DF], proto UDP (17), length 200)
    127.0.0.1.46602 > 127.0.0.1.45999: udp/rtp 160 c0  7 4000000160 3735928559
1796602678.129415 IP (tos 0x0, ttl 64, id 22877, offset 0, flags [DF], proto UDP (17), length 200)
    127.0.0.1.46602 > 127.0.0.1.45999: udp/rtp 160 c8 +* 8 12 1
1796602972.991969 IP6 (flowlabel 0xe6e3a, hlim 64, next-header UDP (17) payload length: 180) ::1.55153 > ::1.45999: udp/rtp 160 c0 * 65535 4000000000 3735928559
1796602678.2 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 40)
    127.0.0.1.1 > 127.0.0.1.2: UDP, length 12`.split('\n');

function parse(lines: string[]): WirePacket[] {
  const parser = new RtpLineParser();
  return lines.map((l) => parser.line(l)).filter((p): p is WirePacket => !!p);
}

describe('tcpdump -T rtp lines', () => {
  it('reads time (µs), ports and the RTP header (marker and extension flags too), nothing else', () => {
    expect(parse(LINES)).toEqual([
      {
        us: 1796602678129289,
        src: 46602,
        dst: 45999,
        payloadType: 0,
        seq: 65535,
        timestamp: 4000000000,
        ssrc: 3735928559,
      },
      {
        us: 1796602678129371,
        src: 46602,
        dst: 45999,
        payloadType: 0,
        seq: 7,
        timestamp: 4000000160,
        ssrc: 3735928559,
      },
      {
        us: 1796602678129415,
        src: 46602,
        dst: 45999,
        payloadType: 8,
        seq: 8,
        timestamp: 12,
        ssrc: 1,
      },
      {
        us: 1796602972991969,
        src: 55153,
        dst: 45999,
        payloadType: 0,
        seq: 65535,
        timestamp: 4000000000,
        ssrc: 3735928559,
      },
    ]);
  });
});

/** A datagram on the wire at `ms` (ms since the capture's start). */
const at = (ssrc: number, seq: number, timestamp: number, ms: number): WirePacket => ({
  us: 1_000_000_000 + Math.round(ms * 1000),
  src: 1,
  dst: 2,
  payloadType: 0,
  seq,
  timestamp,
  ssrc,
});

describe('wireHold', () => {
  // Stream 1: the phone (SSRC 11) sends seq 100.. every 20 ms; the relay sends each on as SSRC
  // 99, seq 500.., its timestamp moved by 1000 (toward Matrix), after 0.2, 0.2, 1.2, 0.2 ms.
  const holds = [0.2, 0.2, 1.2, 0.2];
  const packets: WirePacket[] = [];
  const named = { sent: [] as number[], received: [] as number[] };
  holds.forEach((h, i) => {
    packets.push(at(11, 100 + i, 160 * i, 20 * i), at(99, 500 + i, 160 * i + 1000, 20 * i + h));
    named.sent.push(wireKey(11, 100 + i));
    named.received.push(wireKey(99, 500 + i));
  });
  const wire = byKey(packets);

  it('pairs each datagram in with its datagram out: the hold, and its variation above the smallest', () => {
    const f = wireHold([named], wire, false);
    expect(f).toMatchObject({
      streams: 1,
      matched: 4,
      inOnly: 0,
      outOnly: 0,
      unseen: 0,
      mapping: 4,
    });
    expect(f.holdMs.p50).toBeCloseTo(0.2);
    expect(f.holdMs.max).toBeCloseTo(1.2);
    expect(f.variationMs.p50).toBeCloseTo(0);
    expect(f.variationMs.max).toBeCloseTo(1.0);
  });

  it('checks the mapping each way: toward SIP the timestamp is kept (here it was moved)', () => {
    expect(wireHold([named], wire, true).mapping).toBe(0);
  });

  it('counts what it cannot pair instead of guessing', () => {
    const partial = byKey(packets.filter((p) => !(p.ssrc === 99 && p.seq === 501)));
    const f = wireHold(
      [{ sent: [...named.sent, wireKey(11, 104)], received: [...named.received, NaN] }],
      partial,
      false,
    );
    // 501 out missing: in without out; index 4 named but never on the wire.
    expect(f).toMatchObject({ matched: 3, inOnly: 1, outOnly: 0, unseen: 1 });
  });

  it('keeps per-stream floors apart: a stream that is always slower adds no variation', () => {
    const slow = {
      sent: [wireKey(12, 1), wireKey(12, 2)],
      received: [wireKey(98, 1), wireKey(98, 2)],
    };
    const more = byKey([
      ...packets,
      at(12, 1, 0, 0),
      at(98, 1, 7, 5),
      at(12, 2, 160, 20),
      at(98, 2, 167, 25),
    ]);
    const f = wireHold([named, slow], more, false);
    expect(f.streams).toBe(2);
    expect(f.holdMs.max).toBeCloseTo(5);
    expect(f.variationMs.max).toBeCloseTo(1.0);
  });
});
