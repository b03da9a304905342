// DTMF as RFC 4733 telephone-events in the media, through real Synapse, real Kamailio and sipp:
// the phone's key (sipp plays its recording of an RFC 2833 digit) shows in the room and reaches the
// Matrix client's WebRTC peer as a telephone-event; `!dtmf` goes in the media (not as an INFO) when
// the phone negotiated events; the client's own keypad events cross the relay to the phone, their
// payload type mapped (the client's 110, the phone's 101). sipp echoes RTP (-rtp_echo), so what
// reaches the phone comes back and shows in the room too. The relay's ports are in `rtp_ports`.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { base, callEvent, callOut, dmWith } from '../support/sip-calls.js';
import { freeUdpPort, sipp, startSipBridge } from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';
import { TE, type WebrtcPhone } from '../support/webrtc-phone.js';

let sb: Switchboard;
let user: TestUser;
let gatewayPort: number;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sipdtmf'));
  gatewayPort = await freeUdpPort();
  ({ sb } = await startSipBridge({
    dids: { '+15550007': user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
    // The RTP socket toward SIP and the WebRTC leg's ICE sockets take ports of this range.
    media: { mode: 'relay', rtp_bind_address: '127.0.0.1', rtp_ports: { min: 42100, max: 42199 } },
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

/** The texts the ghost sent in the room. */
const ghostTexts = async (room: string) =>
  (await roomEvents(user, room, 100))
    .filter((e) => e.type === 'm.room.message' && e.sender !== user.userId)
    .map((e) => String(e.content.body));

const digitShown = (room: string, text: string, times = 1) =>
  waitFor(
    async () => (await ghostTexts(room)).filter((t) => t === text).length >= times || undefined,
    15_000,
    `"${text}" in the room`,
  );

const eventsOf = (phone: WebrtcPhone, event: number) =>
  phone.events.filter((e) => e.event === event);

describe('SIP DTMF in the media (RFC 4733)', () => {
  it("the phone's key shows in the room and reaches the client; !dtmf and the client's keypad go in the media", async () => {
    const far = sipp(
      'uas-dtmf-rtp',
      ['-p', String(gatewayPort), '-mp', String(await freeUdpPort()), '-rtp_echo'],
      { digit: '3', wait: '3000', port_re: '421[0-9][0-9]' },
    );
    const room = await dmWith(user, '+15557770021');
    const callId = `dtmf-rtp-${Date.now()}`;
    const phone = await callOut(user, room, callId);
    const answer = await callEvent(user, room, callId, 'm.call.answer');
    const sdp = (answer.content.answer as { sdp: string }).sdp;
    expect(sdp, 'the relay takes telephone-events from the client').toMatch(
      new RegExp(`a=rtpmap:${TE} telephone-event/8000`),
    );
    const icePorts = [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gm)].map((m) =>
      Number(m[1]),
    );
    expect(icePorts.length, 'candidates in the answer').toBeGreaterThan(0);
    for (const port of icePorts) expect(port).toBeGreaterThanOrEqual(42100);
    for (const port of icePorts) expect(port).toBeLessThanOrEqual(42199);
    await phone.accept(sdp);
    await phone.connected();

    // The phone presses 3 (sipp's recording, payload type 101).
    await digitShown(room, 'DTMF 3');
    await waitFor(
      async () => eventsOf(phone, 3).some((e) => e.end) || undefined,
      5_000,
      'event 3 to its end',
    );
    expect(eventsOf(phone, 3).every((e) => e.payloadType === TE)).toBe(true);

    // !dtmf 5 goes in the media (sipp fails on an INFO); its echo comes back as the phone's.
    await sendText(user, room, '!dtmf 5');
    await digitShown(room, 'DTMF 5');
    await waitFor(async () => eventsOf(phone, 5).length > 0 || undefined, 5_000, 'event 5');

    // The client's keypad: # (event 11) with its payload type 110, to the phone's 101, and back.
    await phone.pressKey(11);
    await digitShown(room, 'DTMF #');
    await waitFor(async () => eventsOf(phone, 11).length > 0 || undefined, 5_000, 'event 11');
    expect(eventsOf(phone, 11).every((e) => e.payloadType === TE)).toBe(true);
    // RTP from anyone but the negotiated phone is dropped: a forged key 9 sprayed over the
    // bridge's port range from another socket never shows.
    const forger = createSocket('udp4');
    await new Promise<void>((resolve) => forger.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < 4; i++) {
      const packet = Buffer.from([
        0x80,
        101,
        0,
        i,
        0,
        0,
        0x30,
        0x39,
        0,
        0,
        0x99,
        0x99,
        9,
        0x8a,
        3,
        0x20,
      ]);
      for (let port = 42100; port <= 42199; port++) forger.send(packet, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1500));
    forger.close();
    expect(
      (await ghostTexts(room)).filter((t) => t.startsWith('DTMF')),
      'each key press shown once, the forged one not at all',
    ).toEqual(['DTMF 3', 'DTMF 5', 'DTMF #']);

    await sendAs(user, room, { ...base(callId), reason: 'user_hangup' }, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0); // no INFO came
  });
});
