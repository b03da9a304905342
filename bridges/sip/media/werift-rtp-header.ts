/**
 * A faster RTP header parser for werift. werift (0.24) parses every RTP header by writing its
 * first two bytes out as strings of bits (`getBit`: toString(2), split, join, parseInt) and it
 * parses each relayed packet's header three times (SRTP, the receiver, the relay): that was 16 %
 * of the bridge's CPU relaying 100 calls (bench:sip-media). Headers without CSRCs or extensions
 * (all G.711 audio from phones, and werift's own) are read here with bit operations, to the same
 * fields; any other header goes to werift's own parser. Installed once, on the class werift's own
 * code calls (`RtpHeader.deSerialize`), when the relay module loads.
 */
import { RtpHeader } from 'werift';

/** werift's own parser. */
export const weriftRtpHeader: (raw: Buffer) => RtpHeader = RtpHeader.deSerialize.bind(RtpHeader);

export function fastRtpHeader(raw: Buffer): RtpHeader {
  const h = new RtpHeader();
  return readRtpHeader(raw, h) ? h : weriftRtpHeader(raw);
}

/**
 * Reads a plain header (no CSRCs, no extension) into `h`, every field werift's parser sets for
 * it (so one header object can be reused for every packet of a stream: relay.ts); false, and
 * `h` untouched, for any other header.
 */
export function readRtpHeader(raw: Buffer, h: RtpHeader): boolean {
  const b0 = raw[0]!;
  if ((b0 & 0x1f) !== 0) return false; // an extension or CSRCs
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  const b1 = raw[1]!;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  h.payloadOffset = 12;
  h.paddingSize = h.padding ? raw[raw.length - 1]! : 0;
  return true;
}

let installed = false;

/** Puts the fast parser in werift's place (once). */
export function installFastRtpHeader(): void {
  if (installed) return;
  installed = true;
  RtpHeader.deSerialize = fastRtpHeader;
}
