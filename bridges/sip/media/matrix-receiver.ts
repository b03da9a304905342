/**
 * The relay's RTP from Matrix, taken from werift's DTLS transport (after werift's own SRTP
 * session decrypted and authenticated it) and handed to the relay directly, instead of through
 * werift's router, RTCRtpReceiver and track. That path did, for every audio packet, work a
 * relayed G.711 stream has no use for: the header extensions parsed into a new object (none are
 * negotiated: the relay configures none), the codec's name split out of its MIME type and
 * lower-cased twice (RTX? RED?), a copy of the packet (`clone`) for the track, a promise for the
 * track's event and another for `runRtcp` — the mirror of what matrix-sender.ts skips when sending.
 *
 * What werift's receiver does that matters is kept: the packet counted in the receiver's stream
 * statistics (its RTCP receiver reports: loss, jitter, and `getStats`), the payload type checked
 * against the negotiated codecs (another is dropped, as werift drops it), and only SSRCs the
 * router gave this receiver. A packet the lean path does not handle the same way — header
 * extensions, a stream werift has not set up yet (its first packet: werift creates the statistics
 * and starts the receiver reports), TWCC, RTX or RED, a stopped receiver — goes werift's way, and
 * its track delivers it to the same handler.
 */
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver, RtpPacket } from 'werift';

/** What of werift's RTCRtpReceiver the lean path reads (private in werift). */
interface ReceiverInternals {
  codecs: Record<number, { name: string } | undefined>;
  remoteStreams: Record<number, { add(packet: RtpPacket): void } | undefined>;
  trackBySSRC: Record<number, MediaStreamTrack | undefined>;
  receiverTWCC?: unknown;
  stopped: boolean;
  rtcpRunning: boolean;
}

/** What of werift's RTCPeerConnection's router the lean path takes over (private in werift). */
interface RouterInternals {
  ssrcTable: Record<number, unknown>;
  routeRtp: (packet: RtpPacket) => void;
}

/** Whether a codec is a plain one (not RTX or RED), by codec object (its name is a getter). */
const plainCodec = new WeakMap<object, boolean>();

function isPlain(codec: { name: string }): boolean {
  let plain = plainCodec.get(codec);
  if (plain === undefined) {
    const name = codec.name.toLowerCase();
    plain = name !== 'rtx' && name !== 'red';
    plainCodec.set(codec, plain);
  }
  return plain;
}

/** What happened to a packet: the relay's own, dropped as werift would, or left to werift. */
export type Taken = 'delivered' | 'dropped' | 'werift';

export class MatrixReceiver {
  /** Where packets went (for tests and the bench). */
  readonly counts = { delivered: 0, dropped: 0, werift: 0 };

  constructor(
    private readonly receiver: RTCRtpReceiver,
    private readonly deliver: (packet: RtpPacket) => void,
  ) {}

  /**
   * Puts this receiver in front of `pc`'s router: werift's DTLS transport hands each decrypted
   * packet to `router.routeRtp`, which is now `take`, then werift's own when not taken.
   */
  static install(
    pc: RTCPeerConnection,
    receiver: RTCRtpReceiver,
    deliver: (packet: RtpPacket) => void,
  ): MatrixReceiver {
    const lean = new MatrixReceiver(receiver, deliver);
    const router = (pc as unknown as { router: RouterInternals }).router;
    const werift = router.routeRtp;
    const ssrcTable = router.ssrcTable;
    router.routeRtp = (packet) => {
      if (ssrcTable[packet.header.ssrc] !== receiver || lean.take(packet) === 'werift') {
        lean.counts.werift++;
        werift(packet);
      }
    };
    return lean;
  }

  /** Handles one packet of this receiver's, or answers 'werift' (the caller routes it werift's way). */
  take(packet: RtpPacket): Taken {
    const r = this.receiver as unknown as ReceiverInternals;
    const h = packet.header;
    if (h.extensions.length || r.stopped || r.receiverTWCC || !r.rtcpRunning) return 'werift';
    const stream = r.remoteStreams[h.ssrc];
    if (!stream) return 'werift';
    const codec = r.codecs[h.payloadType];
    if (!codec) {
      this.counts.dropped++;
      return 'dropped'; // not negotiated: werift drops it too
    }
    if (!isPlain(codec)) return 'werift';
    const track = r.trackBySSRC[h.ssrc];
    if (track?.kind === 'video') return 'werift';
    stream.add(packet);
    if (!track) {
      this.counts.dropped++;
      return 'dropped'; // werift counts it and delivers it nowhere
    }
    this.counts.delivered++;
    this.deliver(packet);
    return 'delivered';
  }
}
