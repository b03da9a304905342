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
import {
  CandidatePairState,
  RtpPacket,
  type MediaStreamTrack,
  type RTCPeerConnection,
  type RTCRtpReceiver,
} from 'werift';

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

/** What of werift's DTLS transport, ICE connection and UDP transport the lean path uses. */
interface DtlsInternals {
  state: string;
  srtp?: { decrypt(data: Buffer): Buffer };
  bytesReceived: number;
  packetsReceived: number;
  iceTransport: {
    connection: {
      nominated?: PairInternals;
      checkList: PairInternals[];
      protocols: ProtocolInternals[];
    };
  };
}
interface ProtocolInternals {
  type: string;
  localCandidate?: unknown;
  transport?: { onData: (data: Buffer, addr: [string, number]) => void; socket?: unknown };
}
interface PairInternals {
  remoteAddr: [string, number];
  state: number;
  packetsReceived: number;
  bytesReceived: number;
  protocol: ProtocolInternals;
}

const SUCCEEDED = CandidatePairState.SUCCEEDED;

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
    lean.route = router.routeRtp = (packet) => {
      if (ssrcTable[packet.header.ssrc] !== receiver || lean.take(packet) === 'werift') {
        lean.counts.werift++;
        werift(packet);
      }
      lean.fromSocket();
    };
    return lean;
  }

  /** The router's entry (this receiver's, then werift's). */
  private route?: (packet: RtpPacket) => void;
  /** The UDP transport whose datagrams this receiver takes first (once connected). */
  private socketTaken = false;
  /** Datagrams taken from the sockets (from a checked pair's remote address). */
  fromSocketCount = 0;

  /**
   * Once the first packet came werift's whole way (ICE connected, DTLS-SRTP keys set), takes the
   * datagrams of the ICE connection's UDP sockets first: SRTP from the remote address of a
   * candidate pair that passed its connectivity check on that socket is decrypted with the DTLS
   * transport's own SRTP session (werift's) and routed here, without werift's STUN parse attempt
   * and the three events (a promise each) between the socket and the router. Anything else —
   * STUN (consent checks), DTLS, SRTCP, a datagram from any other address, a relayed (TURN)
   * candidate, sockets of a later ICE restart — goes werift's way as before. (werift itself takes
   * media from any address on its sockets; SRTP's authentication is what keeps others out.)
   */
  private fromSocket(): void {
    if (this.socketTaken) return;
    const dtls = (this.receiver as unknown as { dtlsTransport?: DtlsInternals }).dtlsTransport;
    const connection = dtls?.iceTransport.connection;
    if (!dtls || !connection?.nominated) return;
    this.socketTaken = true;
    for (const protocol of connection.protocols) {
      const udp = protocol.transport;
      if (protocol.type !== 'stun' || !udp?.socket) continue;
      const werift = udp.onData;
      /** The last address found checked: most datagrams come from it. */
      let peer: [string, number] | undefined;
      const checked = (addr: [string, number]): boolean => {
        if (peer && addr[1] === peer[1] && addr[0] === peer[0]) return true;
        const pair = connection.checkList.find(
          (p) =>
            p.protocol === protocol &&
            p.state === SUCCEEDED &&
            p.remoteAddr[1] === addr[1] &&
            p.remoteAddr[0] === addr[0],
        );
        if (pair) peer = pair.remoteAddr;
        return !!pair;
      };
      udp.onData = (data, addr) => {
        const b0 = data[0]!;
        if (
          data.length < 12 ||
          b0 < 128 ||
          b0 > 191 || // not RTP/RTCP (RFC 7983)
          (data[1]! >= 192 && data[1]! <= 208) || // RTCP: werift's receiver and sender reports
          !protocol.localCandidate ||
          dtls.state !== 'connected' ||
          !dtls.srtp ||
          !checked(addr)
        )
          return werift(data, addr);
        const nominated = connection.nominated;
        if (nominated?.protocol === protocol) {
          nominated.packetsReceived++;
          nominated.bytesReceived += data.length;
        }
        dtls.packetsReceived++;
        dtls.bytesReceived += data.length;
        this.fromSocketCount++;
        let packet: RtpPacket;
        try {
          packet = RtpPacket.deSerialize(dtls.srtp.decrypt(data));
        } catch {
          return; // not authentic, or malformed: werift drops it too
        }
        this.route!(packet);
      };
    }
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
