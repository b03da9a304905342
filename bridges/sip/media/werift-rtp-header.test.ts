import { RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import {
  fastRtpHeader,
  installFastRtpHeader,
  readRtpHeader,
  weriftRtpHeader,
} from './werift-rtp-header.js';

/** A header werift serializes, and its packet's bytes. */
const packet = (h: Partial<RtpHeader>, payload = Buffer.alloc(160, 0x55)): Buffer =>
  new RtpPacket(new RtpHeader(h), payload).serialize();

const fields = (h: RtpHeader) => ({
  version: h.version,
  padding: h.padding,
  paddingSize: h.paddingSize,
  extension: h.extension,
  marker: h.marker,
  payloadOffset: h.payloadOffset,
  payloadType: h.payloadType,
  sequenceNumber: h.sequenceNumber,
  timestamp: h.timestamp,
  ssrc: h.ssrc,
  csrcLength: h.csrcLength,
  csrc: h.csrc,
  extensions: h.extensions,
});

describe('the fast RTP header parser', () => {
  it('reads every field as werift does, for plain headers of any values', () => {
    for (let i = 0; i < 500; i++) {
      const raw = packet({
        marker: i % 3 === 0,
        payloadType: i % 128,
        sequenceNumber: (i * 7919) & 0xffff,
        timestamp: (i * 2654435761) >>> 0,
        ssrc: (i * 40503 + 0x80000000) >>> 0,
      });
      expect(fields(fastRtpHeader(raw))).toEqual(fields(weriftRtpHeader(raw)));
    }
  });

  it('reads padding as werift does', () => {
    const raw = Buffer.from(packet({ payloadType: 0, sequenceNumber: 9 }));
    raw[0] = raw[0]! | 0x20;
    raw[raw.length - 1] = 4;
    const fast = fastRtpHeader(raw);
    expect(fields(fast)).toEqual(fields(weriftRtpHeader(raw)));
    expect(fast.paddingSize).toBe(4);
  });

  it('leaves headers with extensions or CSRCs to werift', () => {
    const withExtension = packet({
      payloadType: 111,
      extension: true,
      extensions: [{ id: 1, payload: Buffer.from([0x90]) }],
    });
    expect(fields(fastRtpHeader(withExtension))).toEqual(fields(weriftRtpHeader(withExtension)));
    expect(fastRtpHeader(withExtension).extensions).toHaveLength(1);
    const withCsrc = Buffer.from(packet({ payloadType: 0 }));
    withCsrc[0] = withCsrc[0]! | 0x01;
    expect(fields(fastRtpHeader(withCsrc))).toEqual(fields(weriftRtpHeader(withCsrc)));
  });

  it('reads packet after packet into one header, each as werift does (padding reset too)', () => {
    const h = new RtpHeader();
    const padded = Buffer.from(packet({ payloadType: 0, sequenceNumber: 9, marker: true }));
    padded[0] = padded[0]! | 0x20;
    padded[padded.length - 1] = 4;
    const plain = packet({ payloadType: 8, sequenceNumber: 10, timestamp: 160, ssrc: 5 });
    for (const raw of [padded, plain, padded, plain]) {
      expect(readRtpHeader(raw, h)).toBe(true);
      expect(fields(h)).toEqual(fields(weriftRtpHeader(raw)));
    }
    // Any other header: false, and the header as it was.
    const withCsrc = Buffer.from(plain);
    withCsrc[0] = withCsrc[0]! | 0x01;
    expect(readRtpHeader(withCsrc, h)).toBe(false);
    expect(fields(h)).toEqual(fields(weriftRtpHeader(plain)));
  });

  it('throws on a truncated packet, as werift does', () => {
    expect(() => fastRtpHeader(Buffer.from([0x80, 0x00, 0x01]))).toThrow();
    expect(() => weriftRtpHeader(Buffer.from([0x80, 0x00, 0x01]))).toThrow();
  });

  it('once installed, werift parses packets with it', () => {
    installFastRtpHeader();
    expect(RtpHeader.deSerialize).toBe(fastRtpHeader);
    const p = RtpPacket.deSerialize(packet({ payloadType: 8, sequenceNumber: 42, ssrc: 7 }));
    expect([p.header.payloadType, p.header.sequenceNumber, p.header.ssrc]).toEqual([8, 42, 7]);
    expect(p.payload.length).toBe(160);
  });
});
