// `media.process`: the relay in a child process of the bridge (V8 of its own, its GC on one
// thread). A relayed call's audio crosses both ways as with a media thread, the media runs in that
// process (not the bridge's), and when the process dies the call is hung up on both sides.
// Real Synapse, real Kamailio, sipp as the far phone (echoing the RTP), werift as the Matrix client.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipConnector } from '../../bridges/sip/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { callEvent, callOut, dmWith, echoed, PATTERN } from '../support/sip-calls.js';
import { freeUdpPort, sipp, startSipBridge } from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, type TestUser } from '../support/synapse.js';

let sb: Switchboard;
let connector: SipConnector;
let user: TestUser;
let gatewayPort: number;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sipmediaproc'));
  gatewayPort = await freeUdpPort();
  ({ sb, connector } = await startSipBridge({
    dids: { '+15550004': user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
    media: { mode: 'relay', rtp_bind_address: '127.0.0.1', threads: 1, process: true },
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('SIP calls relayed by a media process', () => {
  it('carry audio both ways from a process of their own; its end hangs the call up', async () => {
    const [media] = await connector.mediaLoopDelay(false);
    expect(media!.pid).toBeGreaterThan(0);
    expect(media!.pid).not.toBe(process.pid);
    expect(readFileSync(`/proc/${media!.pid}/cmdline`, 'utf8').split('\0')).toContain(
      '--single-threaded-gc',
    );
    const far = sipp('uas-answer-media-lost', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const room = await dmWith(user, '+15557770003');
    const callId = `proc-${Date.now()}`;
    const phone = await callOut(user, room, callId);
    const answer = await callEvent(user, room, callId, 'm.call.answer');
    await phone.accept((answer.content.answer as { sdp: string }).sdp);
    // The client's pattern went to the phone through the relay and came back (sipp echoes).
    expect((await echoed(phone)).length, 'audio through the media process').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    const [after] = await connector.mediaLoopDelay(false);
    expect(
      after!.packets.toSip.heldUs.count + after!.packets.toMatrix.heldUs.count,
    ).toBeGreaterThan(0);

    await connector.crashMediaThread(0);
    const hangup = await callEvent(user, room, callId, 'm.call.hangup');
    expect(hangup.content.reason).toBe('unknown_error');
    expect(await far.done, far.output()).toBe(0); // its BYE came
    await phone.close();
  });
});
