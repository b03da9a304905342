// `media: passthrough`: the SDP goes through unchanged (for WebRTC-capable SIP endpoints): the
// Matrix offer is the INVITE's body and the phone's answer is the m.call.answer. Real Kamailio,
// sipp and Synapse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendAs } from '../support/bridge-harness.js';
import { freeUdpPort, sipp, startSipBridge } from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

let sb: Switchboard;
let user: TestUser;
let gatewayPort: number;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sippass'));
  gatewayPort = await freeUdpPort();
  ({ sb } = await startSipBridge({
    dids: { '+15550005': user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
    media: { mode: 'passthrough' },
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('SIP media passthrough', () => {
  it("hands the SDP through both ways: the phone's own answer is the m.call.answer", async () => {
    const far = sipp('uas-answer', ['-p', String(gatewayPort), '-mp', String(await freeUdpPort())]);
    const ghost = '@sip_=2b15557770009:localhost';
    const { room_id: room } = await asUser<{ room_id: string }>(
      user,
      'POST',
      '/_matrix/client/v3/createRoom',
      { is_direct: true, invite: [ghost], preset: 'trusted_private_chat' },
    );
    const callId = `pass-${Date.now()}`;
    const call = { call_id: callId, party_id: 'dev', version: '1' };
    const offer =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=matrix-offer\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    await waitFor(
      async () =>
        (await roomEvents(user, room, 30)).some(
          (e) => e.state_key === ghost && e.content.membership === 'join',
        ),
      20_000,
      'the ghost to join',
    );
    await sendAs(
      user,
      room,
      { ...call, lifetime: 30_000, offer: { type: 'offer', sdp: offer } },
      'm.call.invite',
    );
    const answer = await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) => e.type === 'm.call.answer' && e.content.call_id === callId,
        ),
      20_000,
      'the answer',
    );
    expect((answer.content.answer as { sdp: string }).sdp).toContain('s=sipp-answer');
    await sendAs(user, room, { ...call, reason: 'user_hangup' }, 'm.call.hangup');
    expect(await far.done, far.output()).toBe(0);
  });
});
