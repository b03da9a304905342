import { describe, expect, it } from 'vitest';
import { answerDirection, parsePlainSdp, plainSdp, sdpDirection } from './plain-sdp.js';

describe('plain SDP', () => {
  it('reads the audio address and port, media-level c= first', () => {
    const sdp =
      'v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n' +
      'm=audio 40000 RTP/AVP 0 8 101\r\nc=IN IP4 192.0.2.7\r\na=rtpmap:0 PCMU/8000\r\n';
    expect(parsePlainSdp(sdp)).toEqual({
      address: '192.0.2.7',
      port: 40000,
      payloadTypes: [0, 8, 101],
    });
  });

  it('refuses what it cannot relay: no audio, WebRTC profiles, IPv6, a bad port, junk', () => {
    const head = 'v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n';
    expect(parsePlainSdp(head + 'm=video 4000 RTP/AVP 96\r\n')).toBeUndefined();
    expect(parsePlainSdp(head + 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')).toBeUndefined();
    expect(
      parsePlainSdp(head.replace(/IN IP4 1.2.3.4/g, 'IN IP6 ::1') + 'm=audio 4000 RTP/AVP 0\r\n'),
    ).toBeUndefined();
    expect(parsePlainSdp(head + 'm=audio 70000 RTP/AVP 0\r\n')).toBeUndefined();
    expect(parsePlainSdp('INVITE sip:x SIP/2.0\r\n')).toBeUndefined();
    expect(
      parsePlainSdp(head.replace('1.2.3.4\r\nt', '1.2.3.999\r\nt') + 'm=audio 4000 RTP/AVP 0\r\n'),
    ).toBeUndefined();
  });

  it('writes G.711 offers it can read back', () => {
    expect(parsePlainSdp(plainSdp('127.0.0.1', 41234))).toEqual({
      address: '127.0.0.1',
      port: 41234,
      payloadTypes: [0, 8],
    });
  });

  it("reads the audio direction: its own, else the session's, else sendrecv", () => {
    const head = 'v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n';
    expect(sdpDirection(head + 'm=audio 4000 RTP/AVP 0\r\n')).toBe('sendrecv');
    expect(sdpDirection(head + 'm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n')).toBe('sendonly');
    expect(sdpDirection(head + 'a=inactive\r\nm=audio 4000 RTP/AVP 0\r\n')).toBe('inactive');
    expect(
      sdpDirection(head + 'a=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n'),
      'the media level wins',
    ).toBe('recvonly');
    expect(
      sdpDirection(head + 'm=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\na=sendonly\r\n'),
      "another stream's direction is not audio's",
    ).toBe('sendrecv');
    expect(
      sdpDirection(
        head.replace('c=IN IP4 1.2.3.4', 'c=IN IP4 0.0.0.0') + 'm=audio 9 RTP/AVP 0\r\n',
      ),
      "a WebRTC SDP's 0.0.0.0 is no hold",
    ).toBe('sendrecv');
    expect(
      ['sendrecv', 'sendonly', 'recvonly', 'inactive'].map((d) => answerDirection(d as never)),
    ).toEqual(['sendrecv', 'recvonly', 'sendonly', 'inactive']);
  });

  it('writes the direction asked for, and a higher o= version for the same session', () => {
    const a = plainSdp('127.0.0.1', 4000, {
      direction: 'sendonly',
      session: { id: 7, version: 1 },
    });
    const b = plainSdp('127.0.0.1', 4000, {
      direction: 'sendrecv',
      session: { id: 7, version: 2 },
    });
    expect(sdpDirection(a)).toBe('sendonly');
    expect(a).toMatch(/^o=switchboard 7 1 IN IP4/m);
    expect(sdpDirection(b)).toBe('sendrecv');
    expect(b).toMatch(/^o=switchboard 7 2 IN IP4/m);
  });
});
