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
import { ntpTime, type RTCRtpSender, type RtpHeader, type RtpPacket } from 'werift';

/** What of werift's RTCRtpSender the lean path reads and keeps up to date (private in werift). */
interface SenderInternals {
  ssrc: number;
  codec?: { payloadType: number };
  headerExtensions?: unknown[];
  redRedundantPayloadType?: number;
  dtlsTransport?: {
    state: string;
    sendRtp(payload: Buffer, header: RtpHeader): Promise<number>;
  };
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp(): Promise<void>;
}

/** Packets between two NTP/RTP timestamp pairs for the sender reports (50 packets/s: 1 s). */
const SR_EVERY = 50;

export class MatrixSender {
  private seq = randomInt(0, 0x10000);
  private readonly tsOffset = randomInt(0, 0x100000000);
  private sent = 0;

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
    return this.sendParts(packet.header, packet.payload, payloadType);
  }

  /** `send` of a header and payload not in an RtpPacket (the header is rewritten, not kept). */
  sendParts(header: RtpHeader, payload: Buffer, payloadType?: number): boolean {
    if (!this.lean) return false;
    const s = this.s;
    const transport = s.dtlsTransport;
    if (!transport || transport.state !== 'connected' || !s.codec) return true;
    header.ssrc = s.ssrc;
    header.payloadType = payloadType ?? s.codec.payloadType;
    header.sequenceNumber = this.seq = (this.seq + 1) & 0xffff;
    header.timestamp = (header.timestamp + this.tsOffset) >>> 0;
    if (header.extensions.length) header.extensions = [];
    if (this.sent++ % SR_EVERY === 0) {
      s.ntpTimestamp = ntpTime();
      s.rtpTimestamp = header.timestamp;
      if (this.sent === 1) void s.runRtcp(); // its sender reports, as werift's first send starts them
    }
    s.packetCount = (s.packetCount + 1) >>> 0;
    s.octetCount += payload.length;
    // werift encrypts (reading the header) before its first await: the header is free after.
    void transport.sendRtp(payload, header);
    return true;
  }
}
