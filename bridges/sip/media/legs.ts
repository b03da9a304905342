/**
 * The two legs' building blocks for a call's relay (relay.ts): the WebRTC leg's codecs (G.711 and
 * telephone-event, so no transcoding is needed) and its description once gathered, and the SIP
 * leg's RTP socket.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup, type LookupOneOptions } from 'node:dns';
import { isIPv4 } from 'node:net';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';

/** The telephone-event payload type we offer (the far side's when it offered one). */
export const TE_DEFAULT = 101;

export const codecs = {
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMU',
      clockRate: 8000,
      channels: 1,
      payloadType: 0,
    }),
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMA',
      clockRate: 8000,
      channels: 1,
      payloadType: 8,
    }),
    new RTCRtpCodecParameters({
      mimeType: 'audio/telephone-event',
      clockRate: 8000,
      payloadType: TE_DEFAULT,
      parameters: '0-15',
    }),
  ],
};

/** A packet cache that keeps nothing (what werift stores in it is dropped). */
const NO_CACHE: unknown[] = new Proxy([], { set: () => true });

/**
 * Makes werift's sender keep no copy of the packets it sends. It keeps the last 128 of each
 * stream to answer NACKs with (video's: audio is not retransmitted, and our codecs ask for no
 * NACK), so every relayed packet toward Matrix lived 2.5 s: long enough to be copied by two
 * young-generation collections and promoted to the old generation (GC work per packet, and longer
 * pauses of the media thread). A NACK that comes anyway finds nothing, as one for a packet older
 * than the cache does.
 */
export function keepNoSentPackets(sender: RTCRtpSender): void {
  Object.defineProperty(sender, 'rtpCache', {
    configurable: true,
    get: () => NO_CACHE,
    set: () => undefined, // werift resets it when the source changes (replaceRTP)
  });
}

/** The local description once its ICE candidates are gathered (no trickling toward Matrix). */
export async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      pc.iceGatheringStateChange.subscribe((s) => {
        if (s === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
  return pc.localDescription!.sdp;
}

/**
 * A packet's bytes for the SIP leg: the fixed 12-byte RTP header (marker, payload type, sequence
 * number, timestamp, SSRC) and the payload. Header extensions, CSRCs and padding the Matrix
 * client may have sent are left out (a plain phone has no use for them). A fifth of what werift's
 * `serialize` costs (it writes the header through a general-purpose encoder).
 */
export function rtpBytes(packet: RtpPacket): Buffer {
  const h = packet.header;
  const payload = packet.payload;
  const out = Buffer.allocUnsafe(12 + payload.length);
  out[0] = 0x80; // version 2
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
  out.set(payload, 12);
  return out;
}

/**
 * The RTP socket's name lookup: an IPv4 address (the phone's, from its SDP: every packet toward
 * SIP is sent to it) is itself, at once; a name goes to the resolver. Node looks up the address
 * of every datagram sent with one: through dns.lookup that cost a deferred callback and its
 * objects per packet.
 */
const ipLookup = ((
  host: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
) => {
  if (isIPv4(host)) return callback(null, host, 4);
  lookup(host, options, callback);
}) as SocketOptions['lookup'];

/** A UDP socket on `address`: a random free port of `ports` (a few tries), or an ephemeral one. */
export async function bindRtp(
  address: string,
  ports?: { min: number; max: number },
): Promise<Socket> {
  const tries = ports ? Math.min(32, ports.max - ports.min + 1) : 1;
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    const port = ports ? randomInt(ports.min, ports.max + 1) : 0;
    const socket = createSocket({ type: 'udp4', lookup: ipLookup });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, address, () => resolve());
      });
      return socket;
    } catch (err) {
      last = err;
      socket.close();
    }
  }
  throw new Error(
    `no free RTP port${ports ? ` in ${ports.min}-${ports.max}` : ''}: ${(last as Error).message}`,
  );
}
