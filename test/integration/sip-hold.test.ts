// Hold and resume through real Synapse and real Kamailio, with sipp as the far phone and a werift
// peer as the Matrix client: a Matrix m.call.negotiate is a re-INVITE (sipp checks its direction)
// and a re-INVITE from the phone is an m.call.negotiate; the audio stops while the call is held
// and flows again once it is resumed (sipp echoes RTP: the pattern comes back only when the relay
// hands it across both ways).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendAs, type RoomEvent } from '../support/bridge-harness.js';
import { base, callEvent, callOut, dmWith, echoed, PATTERN } from '../support/sip-calls.js';
import {
  freeUdpPort,
  joinInvitedRoom,
  sipp,
  sipPort,
  startSipBridge,
} from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';
import { splitCandidates, WebrtcPhone } from '../support/webrtc-phone.js';

const DID = '+15550006';
let sb: Switchboard;
let user: TestUser;
let gatewayPort: number;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('siphold'));
  gatewayPort = await freeUdpPort();
  ({ sb } = await startSipBridge({
    dids: { [DID]: user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

const description = (e: RoomEvent) => e.content.description as { type: string; sdp: string };

/** The ghost's next m.call.negotiate of `type` (one not in `seen`). */
async function negotiate(
  room: string,
  callId: string,
  type: 'offer' | 'answer',
  seen: Set<string>,
): Promise<string> {
  const ev = await callEvent(
    user,
    room,
    callId,
    'm.call.negotiate',
    (e) => description(e)?.type === type && !seen.has(e.event_id),
  );
  seen.add(ev.event_id);
  return description(ev).sdp;
}

describe('SIP hold and resume', () => {
  it('Matrix puts a call on hold and resumes it: re-INVITEs a=sendonly then a=sendrecv, negotiate answers, audio stops and comes back', async () => {
    const far = sipp('uas-hold', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const room = await dmWith(user, '+15557770011');
    const callId = `hold-${Date.now()}`;
    const phone = await callOut(user, room, callId);
    const answer = await callEvent(user, room, callId, 'm.call.answer');
    await phone.accept((answer.content.answer as { sdp: string }).sdp);
    expect((await echoed(phone, 0)).length, 'audio before the hold').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    const seen = new Set<string>();

    const holdOffer = await phone.reoffer('sendonly');
    await sendAs(
      user,
      room,
      { ...base(callId), lifetime: 30_000, description: { type: 'offer', sdp: holdOffer } },
      'm.call.negotiate',
    );
    const held = await negotiate(room, callId, 'answer', seen);
    expect(held, 'the relay answers the hold as receive-only').toMatch(/a=recvonly/);
    await phone.accept(held);
    expect(await echoed(phone, 1000, true), 'no audio back while held').toEqual([]);

    const resumeOffer = await phone.reoffer('sendrecv');
    await sendAs(
      user,
      room,
      { ...base(callId), lifetime: 30_000, description: { type: 'offer', sdp: resumeOffer } },
      'm.call.negotiate',
    );
    const resumed = await negotiate(room, callId, 'answer', seen);
    expect(resumed).toMatch(/a=sendrecv/);
    await phone.accept(resumed);
    expect((await echoed(phone, 2000)).length, 'audio after the resume').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );

    await sendAs(user, room, { ...base(callId), reason: 'user_hangup' }, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0); // sipp checked both re-INVITEs' directions
  });

  it('the phone puts a call on hold and resumes it: m.call.negotiate offers sendonly then sendrecv, audio stops and comes back', async () => {
    const far = sipp(
      'uac-hold',
      [
        '-s',
        DID,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeUdpPort()),
        '-rtp_echo',
        `127.0.0.1:${sipPort()}`,
      ],
      { talk: '5000', held: '5000' },
    );
    const room = await joinInvitedRoom(user, 20_000);
    const ringing = await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) => e.type === 'm.call.invite' && e.sender !== user.userId,
        ),
      20_000,
      'the call invite',
    );
    const callId = String(ringing.content.call_id);
    const phone = new WebrtcPhone();
    const { sdp, candidates } = splitCandidates(
      await phone.answer((ringing.content.offer as { sdp: string }).sdp),
    );
    await sendAs(user, room, { ...base(callId), answer: { type: 'answer', sdp } }, 'm.call.answer');
    await sendAs(user, room, { ...base(callId), candidates }, 'm.call.candidates');
    expect((await echoed(phone, 0)).length, 'audio before the hold').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    const seen = new Set<string>();

    const hold = await negotiate(room, callId, 'offer', seen);
    expect(hold, "the phone's hold offered on to Matrix").toMatch(/a=sendonly/);
    await sendAs(
      user,
      room,
      { ...base(callId), description: { type: 'answer', sdp: await phone.reanswer(hold) } },
      'm.call.negotiate',
    );
    expect(await echoed(phone, 1000, true), 'no audio to a phone that holds').toEqual([]);

    const resume = await negotiate(room, callId, 'offer', seen);
    expect(resume).toMatch(/a=sendrecv/);
    await sendAs(
      user,
      room,
      { ...base(callId), description: { type: 'answer', sdp: await phone.reanswer(resume) } },
      'm.call.negotiate',
    );
    expect((await echoed(phone, 2000)).length, 'audio after the resume').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    const hangup = await callEvent(user, room, callId, 'm.call.hangup');
    expect(hangup.content.reason).toBe('user_hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0); // sipp checked both 200s' directions
  });
});
