/**
 * The relay's RTP toward Matrix, handed straight to werift's DTLS transport (SRTP, then the ICE
 * socket) instead of through its track and RTCRtpSender.sendRtp. That path did, for every audio
 * packet, work a relayed G.711 stream has no use for: header extensions mapped, filtered and
 * sorted (none are negotiated: the relay configures none), an NTP time made through a string, a
 * copy kept for NACKs (see `keepNoSentPackets`), a bandwidth estimator's bookkeeping, and four
 * chained promises — about 15 µs a packet, as much as SRTP and the send together
 * (`bench/README.md`). What the sender's RTCP sender reports read is kept up to date here: its
 * packet and octet counts each packet, its NTP/RTP timestamp pair once a second.
 *
 * The stream is the relay's own, as the one toward SIP is: the sender's SSRC, sequence numbers
 * of its own (one more each packet, telephone-events included), the phone's timestamps moved by
 * a random offset. Where werift would do more than this (header extensions or RED negotiated),
 * `send` answers false and the packet goes werift's way.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { ntpTime, type RTCRtpSender, type RtpHeader, type RtpPacket } from 'werift';

/** What of werift's RTCRtpSender the lean path reads and keeps up to date (private in werift). */
interface SenderInternals {
  ssrc: number;
  codec?: { payloadType: number };
  headerExtensions?: unknown[];
  redRedundantPayloadType?: number;
  dtlsTransport?: DtlsInternals;
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp(): Promise<void>;
}

/** What of werift's DTLS transport and ICE connection the lean send uses (private in werift). */
interface DtlsInternals {
  state: string;
  sendRtp(payload: Buffer, header: RtpHeader): Promise<number>;
  srtp?: { encrypt(payload: Buffer, header: RtpHeader): Buffer };
  bytesSent?: number;
  packetsSent?: number;
  iceTransport?: {
    connection?: {
      nominated?: PairInternals;
      canSendApplicationData?(): boolean;
    };
  };
}
interface PairInternals {
  remoteAddr: [string, number];
  packetsSent: number;
  bytesSent: number;
  protocol: { type: string; transport?: { socket?: Socket; closed?: boolean } };
}

/** Whether werift sends to a pair's remote address without resolving it (an IP address). */
const plainUdp = new WeakMap<PairInternals, boolean>();

/**
 * The nominated pair to send on the way werift's ICE connection would (its `send`: the
 * nominated pair, nothing once consent expired), straight on the pair's UDP socket, without the
 * three chained promises of its send path: undefined when the pair is not a plain UDP one with an
 * IP address (TURN, TCP, an mDNS name to resolve), and werift sends; 'none' when werift would
 * send nothing.
 */
function socketPair(dtls: DtlsInternals): PairInternals | 'none' | undefined {
  const connection = dtls.iceTransport?.connection;
  const pair = connection?.nominated;
  if (!pair || !connection?.canSendApplicationData) return undefined;
  let plain = plainUdp.get(pair);
  if (plain === undefined) {
    plain = pair.protocol.type === 'stun' && isIP(pair.remoteAddr[0]) !== 0;
    plainUdp.set(pair, plain);
  }
  const udp = pair.protocol.transport;
  if (!plain || !udp?.socket || udp.closed) return undefined;
  return connection.canSendApplicationData() ? pair : 'none';
}

/** Packets between two NTP/RTP timestamp pairs for the sender reports (50 packets/s: 1 s). */
const SR_EVERY = 50;

export class MatrixSender {
  private seq = randomInt(0, 0x10000);
  private readonly tsOffset = randomInt(0, 0x100000000);
  private sent = 0;
  /** Packets sent straight on the ICE pair's socket (the rest went through werift's send). */
  onSocket = 0;

  constructor(private readonly rtcSender: RTCRtpSender) {}

  private get s(): SenderInternals {
    return this.rtcSender as unknown as SenderInternals;
  }

  /** Whether the lean path applies: nothing negotiated that werift's own would add. */
  get lean(): boolean {
    const s = this.s;
    return !s.headerExtensions?.length && s.redRedundantPayloadType === undefined;
  }

  /**
   * Sends `packet` (its header rewritten: SSRC, payload type, sequence number, timestamp) with
   * `payloadType`, or the sender's codec's. False when the lean path does not apply (the caller
   * sends it werift's way); true when sent, or dropped as werift would (not connected yet).
   */
  send(packet: RtpPacket, payloadType?: number): boolean {
    if (!this.lean) return false;
    const s = this.s;
    const transport = s.dtlsTransport;
    if (!transport || transport.state !== 'connected' || !s.codec) return true;
    const header = packet.header;
    header.ssrc = s.ssrc;
    header.payloadType = payloadType ?? s.codec.payloadType;
    header.sequenceNumber = this.seq = (this.seq + 1) & 0xffff;
    header.timestamp = (header.timestamp + this.tsOffset) >>> 0;
    header.extensions = [];
    if (this.sent++ % SR_EVERY === 0) {
      s.ntpTimestamp = ntpTime();
      s.rtpTimestamp = header.timestamp;
      if (this.sent === 1) void s.runRtcp(); // its sender reports, as werift's first send starts them
    }
    s.packetCount = (s.packetCount + 1) >>> 0;
    s.octetCount += packet.payload.length;
    const pair = transport.srtp && socketPair(transport);
    if (!pair) {
      void transport.sendRtp(packet.payload, header);
      return true;
    }
    if (pair === 'none') return true; // consent expired: werift sends nothing either
    let data: Buffer;
    try {
      data = transport.srtp!.encrypt(packet.payload, header);
    } catch {
      return true; // werift's sendRtp logs and drops it
    }
    pair.protocol.transport!.socket!.send(data, pair.remoteAddr[1], pair.remoteAddr[0]);
    pair.packetsSent++;
    pair.bytesSent += data.length;
    transport.packetsSent = (transport.packetsSent ?? 0) + 1;
    transport.bytesSent = (transport.bytesSent ?? 0) + data.length;
    this.onSocket++;
    return true;
  }
}
