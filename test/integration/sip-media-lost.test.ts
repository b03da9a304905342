// A relayed call whose media thread dies (an uncaught error in werift would end it the same way):
// the call cannot carry audio any more, so the bridge hangs it up on both sides — m.call.hangup
// (unknown_error) in Matrix, a BYE with a Reason to the phone — and says why in the call room.
// Real Synapse, real Kamailio, sipp as the far phone (echoing the RTP), werift as the Matrix client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipConnector } from '../../bridges/sip/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendAs } from '../support/bridge-harness.js';
import { base, callEvent, callOut, dmWith, echoed, PATTERN } from '../support/sip-calls.js';
import { freeUdpPort, sipp, startSipBridge } from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

let sb: Switchboard;
let connector: SipConnector;
let user: TestUser;
let gatewayPort: number;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sipmedialost'));
  gatewayPort = await freeUdpPort();
  ({ sb, connector } = await startSipBridge({
    dids: { '+15550003': user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
    media: { mode: 'relay', rtp_bind_address: '127.0.0.1', threads: 1 },
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('SIP calls whose media thread dies', () => {
  it('are hung up on both sides, with the reason told in the call room; the next call has audio', async () => {
    const far = sipp('uas-answer-media-lost', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const room = await dmWith(user, '+15557770002');
    const callId = `lost-${Date.now()}`;
    const phone = await callOut(user, room, callId);
    const answer = await callEvent(user, room, callId, 'm.call.answer');
    await phone.accept((answer.content.answer as { sdp: string }).sdp);
    expect((await echoed(phone)).length, 'audio through the relay').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );

    await connector.crashMediaThread(0);

    const hangup = await callEvent(user, room, callId, 'm.call.hangup');
    expect(hangup.content.reason).toBe('unknown_error');
    expect(await far.done, far.output()).toBe(0); // its BYE came, with the Reason sipp checks
    const notice = await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) => e.content.msgtype === 'm.notice' && String(e.content.body).includes('audio'),
        ),
      10_000,
      'the notice of the call’s end',
    );
    expect(String(notice.content.body)).toMatch(
      /^The bridge lost this call’s audio \(its media thread stopped\) and hung up on both sides\. Call ended after \d+ s\. Audio to the phone: \d+ packets/,
    );
    await phone.close();

    // A new call gets a new media thread, and its audio crosses.
    const far2 = sipp('uas-answer', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const callId2 = `after-${Date.now()}`;
    const phone2 = await callOut(user, room, callId2);
    const answer2 = await callEvent(user, room, callId2, 'm.call.answer');
    await phone2.accept((answer2.content.answer as { sdp: string }).sdp);
    expect((await echoed(phone2)).length, 'audio on the new thread').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    await sendAs(user, room, { ...base(callId2), reason: 'user_hangup' }, 'm.call.hangup');
    await phone2.close();
    expect(await far2.done, far2.output()).toBe(0);
  });
});
