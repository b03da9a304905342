import { describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCRtpSender, RtpHeader, RtpPacket } from 'werift';
import { createSocket } from 'node:dgram';
import { bindRtp, keepNoSentPackets, rtpBytes } from './legs.js';

describe('keepNoSentPackets', () => {
  it('leaves werift’s sender no sent packet to keep, even after it resets its cache', () => {
    const sender = new RTCRtpSender(new MediaStreamTrack({ kind: 'audio' }));
    // werift's `private rtpCache`, as its sendRtp and replaceRTP use it.
    const cache = () => (sender as unknown as { rtpCache: RtpPacket[] }).rtpCache;
    const packet = new RtpPacket(new RtpHeader({ sequenceNumber: 5 }), Buffer.alloc(160));
    // werift's own: the packet is kept (its sendRtp stores it so, for NACKs).
    cache()[5 % 128] = packet;
    expect(cache()[5]).toBe(packet);

    keepNoSentPackets(sender);
    cache()[6 % 128] = packet;
    expect(cache()[6]).toBeUndefined();
    expect(cache().length).toBe(0);
    sender.replaceRTP({ sequenceNumber: 1, timestamp: 1 }); // werift sets `rtpCache = []` here
    cache()[7 % 128] = packet;
    expect(cache()[7]).toBeUndefined();
  });
});

describe('rtpBytes', () => {
  it('gives werift’s bytes for a plain header, and leaves extensions out', () => {
    const payload = Buffer.from([...Array(160).keys()]);
    for (const marker of [false, true]) {
      const header = {
        payloadType: 101,
        sequenceNumber: 65535,
        timestamp: 0xfffffff0,
        ssrc: 0x89abcdef,
        marker,
      };
      const packet = new RtpPacket(new RtpHeader(header), payload);
      expect(rtpBytes(packet)).toEqual(packet.serialize());
      expect(RtpPacket.deSerialize(rtpBytes(packet)).header).toMatchObject(header);
    }
    const withExtension = new RtpPacket(
      new RtpHeader({
        payloadType: 0,
        sequenceNumber: 1,
        timestamp: 2,
        ssrc: 3,
        extension: true,
        extensionProfile: 0xbede,
        extensions: [{ id: 1, payload: Buffer.from([0x7f]) }],
      }),
      payload,
    );
    const bytes = rtpBytes(withExtension);
    expect(bytes.length).toBe(12 + 160);
    expect(bytes[0]).toBe(0x80); // no extension bit
    expect(bytes.subarray(12)).toEqual(payload);
  });
});

describe('bindRtp', () => {
  it('sends to an IPv4 address (taken as is, no resolver) and to a name (resolved)', async () => {
    const socket = await bindRtp('127.0.0.1');
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const got: string[] = [];
    peer.on('message', (m) => got.push(m.toString()));
    const port = peer.address().port;
    socket.send(Buffer.from('a'), port, '127.0.0.1');
    socket.send(Buffer.from('b'), port, 'localhost');
    const end = Date.now() + 5000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    socket.close();
    peer.close();
    expect(got.sort()).toEqual(['a', 'b']);
  });
});
