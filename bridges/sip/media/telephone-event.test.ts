import { describe, expect, it } from 'vitest';
import { DigitDetector, digitPayloads, parseEvent, telephoneEventType } from './telephone-event.js';

describe('RFC 4733 telephone-events', () => {
  it('writes a digit as growing durations on one event, the end packet three times', () => {
    const packets = digitPayloads('#');
    expect(packets[0]!.marker).toBe(true);
    expect(packets.slice(1).every((p) => !p.marker)).toBe(true);
    const events = packets.map((p) => parseEvent(p.payload)!);
    expect(events.every((e) => e.event === 11)).toBe(true);
    expect(events.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(events.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(() => digitPayloads('x')).toThrow(/not a DTMF digit/);
  });

  it('tells each digit once, whatever the repeats; a new timestamp is a new press', () => {
    const d = new DigitDetector();
    const seen = [
      ...digitPayloads('5').map((p) => d.take(1, 1000, p.payload)),
      ...digitPayloads('5').map((p) => d.take(1, 2000, p.payload)),
      ...digitPayloads('*').map((p) => d.take(1, 3000, p.payload)),
    ].filter(Boolean);
    expect(seen).toEqual(['5', '5', '*']);
    expect(d.take(1, 4000, Buffer.from([16, 0x80, 0, 1])), 'a tone, not a digit').toBeUndefined();
    expect(d.take(1, 5000, Buffer.from([1])), 'too short').toBeUndefined();
  });

  it("reads the payload type from the audio stream's rtpmap only", () => {
    const sdp =
      'v=0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';
    expect(telephoneEventType(sdp)).toBe(101);
    expect(telephoneEventType('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBeUndefined();
    expect(
      telephoneEventType(
        'v=0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 1 RTP/AVP 96\r\na=rtpmap:96 telephone-event/8000\r\n',
      ),
    ).toBeUndefined();
  });
});
