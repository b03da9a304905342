import { describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCRtpSender, RtpHeader, RtpPacket } from 'werift';
import { keepNoSentPackets } from './legs.js';

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
