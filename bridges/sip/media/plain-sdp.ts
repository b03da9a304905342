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

/** Our plain SDP: the RTP address and port the relay listens on, G.711 μ-law and A-law. */
export function plainSdp(address: string, port: number, payloadTypes = [0, 8]): string {
  const id = Date.now();
  return [
    'v=0',
    `o=switchboard ${id} ${id} IN IP4 ${address}`,
    's=switchboard',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${payloadTypes.join(' ')}`,
    ...payloadTypes.filter((pt) => RTPMAP[pt]).map((pt) => `a=rtpmap:${pt} ${RTPMAP[pt]}`),
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
