/** The plain-RTP side's SDP (a classic SIP phone or trunk): G.711 over RTP/AVP, no ICE, no DTLS. */

export interface RtpEndpoint {
  address: string;
  port: number;
  /** The payload types offered or answered, in order. */
  payloadTypes: number[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The audio endpoint of a plain SDP; undefined when it has none we can use (IPv4, RTP/AVP). */
export function parsePlainSdp(sdp: string): RtpEndpoint | undefined {
  if (sdp.length > 16_384 || !/^v=0\r?\n/.test(sdp)) return undefined;
  const lines = sdp.split(/\r?\n/);
  let session: string | undefined;
  let media: string | undefined;
  let audio: { port: number; payloadTypes: number[] } | undefined;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (audio) break; // only the first audio stream
      const m = /^m=audio (\d{1,5}) RTP\/AVP((?: \d{1,3})+)$/.exec(line.trim());
      if (m) audio = { port: Number(m[1]), payloadTypes: m[2]!.trim().split(' ').map(Number) };
      continue;
    }
    const c = /^c=IN IP4 (\S+)$/.exec(line.trim());
    if (c) {
      if (audio) media = c[1];
      else session = c[1];
    }
  }
  const address = media ?? session;
  if (!audio || !address || !IPV4.test(address) || audio.port < 1 || audio.port > 65535)
    return undefined;
  return { address, port: audio.port, payloadTypes: audio.payloadTypes };
}

const RTPMAP: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000' };

/** An SDP media direction, from the point of view of the side that wrote the SDP. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/**
 * The direction of an SDP's first audio stream (its own attribute, else the session's, else
 * sendrecv). (A WebRTC SDP's `c=IN IP4 0.0.0.0` means nothing: the old way of holding, RFC 2543,
 * is read from the plain side's address by the relay.)
 */
export function sdpDirection(sdp: string): Direction {
  let session: Direction | undefined;
  let media: Direction | undefined;
  let inAudio = false;
  let seenAudio = false;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      if (seenAudio) break;
      inAudio = line.startsWith('m=audio ');
      seenAudio ||= inAudio;
      continue;
    }
    const a = /^a=(\w+)$/.exec(line)?.[1];
    if (!a || !DIRECTIONS.includes(a)) continue;
    if (inAudio) media = a as Direction;
    else if (!seenAudio) session = a as Direction;
  }
  return media ?? session ?? 'sendrecv';
}

/** The direction that answers an offer's (RFC 3264 §6.1): sendonly ↔ recvonly. */
export function answerDirection(offer: Direction): Direction {
  return offer === 'sendonly' ? 'recvonly' : offer === 'recvonly' ? 'sendonly' : offer;
}

export const sends = (d: Direction): boolean => d === 'sendrecv' || d === 'sendonly';
export const receives = (d: Direction): boolean => d === 'sendrecv' || d === 'recvonly';

export interface PlainSdpOptions {
  payloadTypes?: number[];
  direction?: Direction;
  /** `o=` session id and version: the same id, the version one higher for each new SDP. */
  session?: { id: number; version: number };
  /** The RFC 4733 telephone-event payload type to offer or answer (DTMF digits 0-15). */
  telephoneEvent?: number;
}

/** Our plain SDP: the RTP address and port the relay listens on, G.711 μ-law and A-law. */
export function plainSdp(address: string, port: number, opts: PlainSdpOptions = {}): string {
  const payloadTypes = opts.payloadTypes ?? [0, 8];
  const id = opts.session?.id ?? Date.now();
  const version = opts.session?.version ?? id;
  const te = opts.telephoneEvent;
  return [
    'v=0',
    `o=switchboard ${id} ${version} IN IP4 ${address}`,
    's=switchboard',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${[...payloadTypes, ...(te !== undefined ? [te] : [])].join(' ')}`,
    ...payloadTypes.filter((pt) => RTPMAP[pt]).map((pt) => `a=rtpmap:${pt} ${RTPMAP[pt]}`),
    ...(te !== undefined ? [`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} 0-15`] : []),
    'a=ptime:20',
    `a=${opts.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}
