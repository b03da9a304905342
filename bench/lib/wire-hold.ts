/**
 * How long the bridge holds each relayed packet, from kernel timestamps on the loopback wire
 * (wire-capture.ts records them with tcpdump): the moment the peer's datagram to the bridge
 * passed `lo` (t_in) and the moment the bridge's datagram with the same packet passed it (t_out).
 * Both are stamped by the kernel in the sending process's send call, so the hold t_out − t_in is
 * the time the packet spent in the bridge (its socket buffer, the media thread's run-queue wait
 * and event loop, the relay's work, the send), and nothing of the benchmark's receiving peers.
 *
 * Which datagram out is which datagram in: the relay rewrites every header (relay.ts,
 * matrix-sender.ts). Toward SIP: its own SSRC and sequence numbers, the RTP timestamp kept.
 * Toward Matrix (SRTP, the header in the clear): the WebRTC sender's SSRC, sequence numbers of
 * its own, the timestamp moved by a random offset per call. So each datagram is named by its
 * (SSRC, sequence number), exact and unique within a window (the sequence wraps after 21 minutes
 * at 50 packets/s): the sending peer records the name it gave each measured packet and the
 * receiving peer the name the packet arrived with (the payload says which packet it is: stream
 * and index). The mapping above is checked on every matched pair (`mapping`).
 */
import { percentile } from './stats.js';

/** One RTP datagram seen on `lo`: its kernel timestamp (µs since the epoch) and header. */
export interface WirePacket {
  us: number;
  src: number;
  dst: number;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
}

/** A datagram's name: SSRC and sequence number in one safe integer. */
export const wireKey = (ssrc: number, seq: number): number =>
  (ssrc >>> 0) * 0x10000 + (seq & 0xffff);

/**
 * A packet of `tcpdump -n -tt -v -T rtp`: its time, then the addresses and the RTP header, on the
 * next line for IPv4, on the same one for IPv6 (WebRTC legs may pair over IPv6):
 *   1796602678.129289 IP (tos 0x0, ttl 64, id 22875, offset 0, flags [DF], proto UDP (17), length 200)
 *       127.0.0.1.46602 > 127.0.0.1.45999: udp/rtp 160 c0 * 65535 4000000000 3735928559
 *   1796602972.991969 IP6 (flowlabel 0xe6e3a, hlim 64, next-header UDP (17) payload length: 180) ::1.55153 > ::1.45999: udp/rtp 160 c0 * 65535 4000000000 3735928559
 * (`c` the payload type, `+` extension or CSRCs, `*` the marker, then sequence number, timestamp, SSRC).
 */
const TIME = /^(\d+)\.(\d{6})\s+IP6?\b/;
const RTP = /\S+\.(\d+) > \S+\.(\d+): udp\/rtp \d+ c(\d+) [+*]*\s*(\d+) (\d+) (\d+)\s*$/;

/** Folds `tcpdump -v -T rtp` lines into packets (lines of anything else are passed over). */
export class RtpLineParser {
  private us?: number;

  /** The packet that `line` completes, if it does. */
  line(line: string): WirePacket | undefined {
    const time = TIME.exec(line);
    if (time) this.us = Number(time[1]) * 1e6 + Number(time[2]);
    const rtp = RTP.exec(line);
    if (!rtp || this.us === undefined) return undefined;
    const us = this.us;
    this.us = undefined;
    return {
      us,
      src: Number(rtp[1]),
      dst: Number(rtp[2]),
      payloadType: Number(rtp[3]),
      seq: Number(rtp[4]),
      timestamp: Number(rtp[5]),
      ssrc: Number(rtp[6]),
    };
  }
}

/** Every captured datagram by its name (the first one seen, should a name come twice). */
export function byKey(packets: Iterable<WirePacket>): Map<number, WirePacket> {
  const out = new Map<number, WirePacket>();
  for (const p of packets) {
    const key = wireKey(p.ssrc, p.seq);
    if (!out.has(key)) out.set(key, p);
  }
  return out;
}

/**
 * One stream's measured packets as the benchmark's peers named them: `sent[i]` the name the
 * sending peer gave its i-th measured packet (the datagram to the bridge), `received[i]` the name
 * that packet arrived with at the receiving peer (the bridge's datagram), NaN when unknown.
 */
export interface NamedStream {
  sent: number[];
  received: number[];
}

export interface WireFigures {
  streams: number;
  /** Pairs found: the datagram in and the one out, both on the wire. */
  matched: number;
  /** Sent to the bridge and seen on the wire, but no datagram out seen for it. */
  inOnly: number;
  /** Received from the bridge and seen on the wire, but its datagram in was not seen. */
  outOnly: number;
  /** Named by the peers but on the wire neither way (a capture that dropped, or the window's edges). */
  unseen: number;
  /** The relay's header mapping as documented (see the head of this file), out of `matched`. */
  mapping: number;
  /** The bridge's hold t_out − t_in, in ms. */
  holdMs: { p50: number; p99: number; max: number };
  /** Each packet's hold above its stream's smallest (the delay variation the bridge adds), ms. */
  variationMs: { p50: number; p99: number; max: number };
}

/**
 * The holds of one direction's streams. `keepsTimestamp`: whether the relay keeps the RTP
 * timestamp that way (toward SIP) or moves it by one offset per stream (toward Matrix).
 */
export function wireHold(
  streams: NamedStream[],
  wire: Map<number, WirePacket>,
  keepsTimestamp: boolean,
  /** Where each matched packet's [t_in, t_out] (µs) goes, if given (gc-overlap.ts). */
  pairs?: [number, number][],
): WireFigures {
  const holds: number[] = [];
  const variation: number[] = [];
  let matched = 0;
  let inOnly = 0;
  let outOnly = 0;
  let unseen = 0;
  let mapping = 0;
  let counted = 0;
  for (const s of streams) {
    const own: number[] = [];
    let offset: number | undefined;
    const n = Math.max(s.sent.length, s.received.length);
    for (let i = 0; i < n; i++) {
      const a = wire.get(s.sent[i] ?? NaN);
      const b = wire.get(s.received[i] ?? NaN);
      if (a && b) {
        matched++;
        own.push((b.us - a.us) / 1000);
        pairs?.push([a.us, b.us]);
        const shift = (b.timestamp - a.timestamp) >>> 0;
        offset ??= shift;
        if (keepsTimestamp ? shift === 0 : shift === offset) mapping++;
      } else if (a) inOnly++;
      else if (b) outOnly++;
      else if (!Number.isNaN(s.sent[i] ?? NaN) || !Number.isNaN(s.received[i] ?? NaN)) unseen++;
    }
    if (!own.length) continue;
    counted++;
    const min = Math.min(...own);
    for (const h of own) {
      holds.push(h);
      variation.push(h - min);
    }
  }
  holds.sort((x, y) => x - y);
  variation.sort((x, y) => x - y);
  const three = (xs: number[]) => ({
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: xs[xs.length - 1] ?? NaN,
  });
  return {
    streams: counted,
    matched,
    inOnly,
    outOnly,
    unseen,
    mapping,
    holdMs: three(holds),
    variationMs: three(variation),
  };
}
