// Calls between Matrix VoIP and SIP through real Synapse and real Kamailio, with sipp as the far
// phone: the test user is the Matrix "phone" (m.call.* events sent through Synapse, the SDP made by
// a werift WebRTC peer), the bridge registers the trunk, and sipp answers, refuses or calls. The
// bridge relays the audio (`media: relay`): sipp echoes RTP (-rtp_echo), so a known pattern sent
// by the werift peer comes back only if it crossed the relay both ways (WebRTC → RTP → WebRTC).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipConnector } from '../../bridges/sip/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendAs, sendText, type RoomEvent } from '../support/bridge-harness.js';
import {
  base,
  callEvent as callEventOf,
  callOut as callOutOf,
  dmWith as dmWithOf,
  echoed,
  PATTERN,
} from '../support/sip-calls.js';
import {
  freeUdpPort,
  joinInvitedRoom,
  sipp,
  sipPort,
  startSipBridge,
} from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';
import { splitCandidates, WebrtcPhone } from '../support/webrtc-phone.js';

const DID = '+15550002';
let sb: Switchboard;
let connector: SipConnector;
let user: TestUser;
let gatewayPort: number;

const dmWith = (number: string) => dmWithOf(user, number);
const callEvent = (roomId: string, callId: string, type: string) =>
  callEventOf(user, roomId, callId, type);
const callOut = (roomId: string, callId: string) => callOutOf(user, roomId, callId);

let bobRoom: string | undefined;
const seenInvites = new Set<string>();

/** The DM with bob's ghost: joined at its first call, reused after. */
async function roomOfBob(): Promise<string> {
  bobRoom ??= await joinInvitedRoom(user, 20_000);
  return bobRoom;
}

/** The next m.call.invite in `room` (one not seen before). */
async function nextInvite(room: string): Promise<RoomEvent> {
  const invite = await waitFor(
    async () =>
      (await roomEvents(user, room, 100)).find(
        (e) => e.type === 'm.call.invite' && !seenInvites.has(String(e.content.call_id)),
      ),
    20_000,
    'a new call invite',
  );
  seenInvites.add(String(invite.content.call_id));
  return invite;
}

const callerArgs = async (scenarioArgs: string[] = []) => [
  '-s',
  DID,
  '-p',
  String(await freeUdpPort()),
  '-mp',
  String(await freeUdpPort()),
  ...scenarioArgs,
  `127.0.0.1:${sipPort()}`,
];

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sipcall'));
  gatewayPort = await freeUdpPort();
  ({ sb, connector } = await startSipBridge({
    dids: { [DID]: user.userId },
    dial_plan: { number_domain: `127.0.0.1:${gatewayPort}` },
    ring_timeout_seconds: 6,
  }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('SIP calls', () => {
  it('a Matrix call to a number rings it; 200 OK is the m.call.answer; audio crosses the relay both ways; the Matrix hangup is a BYE', async () => {
    expect(connector.registration).toBe('registered');
    const far = sipp('uas-answer', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const room = await dmWith('+15557770001');
    const callId = `out-${Date.now()}`;
    const phone = await callOut(room, callId);
    const answer = await callEvent(room, callId, 'm.call.answer');
    const sdp = (answer.content.answer as { sdp: string; type: string }).sdp;
    expect((answer.content.answer as { type: string }).type).toBe('answer');
    expect(sdp, 'a WebRTC answer from the relay').toMatch(/a=fingerprint:/);
    expect(answer.content.version).toBe('1');
    await phone.accept(sdp);
    const back = await echoed(phone);
    expect(back.length, 'pattern packets back through SIP').toBeGreaterThanOrEqual(PATTERN * 0.9);
    expect(back.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    // 20 packets more, 2 of them lost on the way to the relay (their sequence numbers missing).
    await phone.sendPattern(20, PATTERN, [PATTERN + 5, PATTERN + 10]);
    // The call's quality each way on /metrics while it is up (the media thread sends each call's
    // figures every second): the relay renumbers the stream it sends to SIP, so the echo comes
    // back without gaps.
    const lossOf = (metrics: string) =>
      Number(
        new RegExp(
          `^switchboard_sip_call_rtp_loss_ratio\\{call="${callId}",direction="to_sip"\\} (\\S+)$`,
          'm',
        ).exec(metrics)?.[1],
      );
    const metrics = await waitFor(
      async () => {
        const m = await sb.metrics.registry.metrics();
        return Math.abs(lossOf(m) - 2 / (PATTERN + 20)) < 1e-5 ? m : undefined;
      },
      5000,
      'the call figures on /metrics',
    ).catch(() => sb.metrics.registry.metrics());
    const lossToSip = lossOf(metrics);
    expect(lossToSip).toBeCloseTo(2 / (PATTERN + 20), 5);
    expect(metrics).toContain(
      `switchboard_sip_call_rtp_loss_ratio{call="${callId}",direction="to_matrix"} 0`,
    );
    for (const direction of ['to_sip', 'to_matrix']) {
      expect(metrics).toMatch(
        new RegExp(
          `^switchboard_sip_call_rtp_jitter_ms\\{call="${callId}",direction="${direction}"\\} [0-9.e-]+$`,
          'm',
        ),
      );
    }
    await sendAs(user, room, { ...base(callId), reason: 'user_hangup' }, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0); // sipp got its BYE
    // The end notice: the call's length, and each way's packets, loss and jitter.
    const notice = await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) =>
            e.content.msgtype === 'm.notice' && String(e.content.body).startsWith('Call ended'),
        ),
      10_000,
      'the end notice',
    );
    const m =
      /^Call ended after \d+ s\. Audio to the phone: (\d+) packets, 2\.9 % lost, jitter [\d.]+ ms; from the phone: (\d+) packets, 0\.0 % lost, jitter [\d.]+ ms\.$/.exec(
        String(notice.content.body),
      );
    expect(m, String(notice.content.body)).not.toBeNull();
    expect(Number(m![1])).toBe(PATTERN + 18);
    expect(Number(m![2])).toBeGreaterThanOrEqual(PATTERN * 0.9);
    expect(
      (await sb.metrics.registry.metrics()).match(
        /^switchboard_sip_rtp_expected_packets_total\{direction="to_sip"\} (\d+)$/m,
      )?.[1],
    ).toBeDefined();
  });

  it('!dtmf typed in the call room during a call is a SIP INFO (application/dtmf-relay) to the phone', async () => {
    const far = sipp('uas-dtmf', ['-p', String(gatewayPort), '-mp', String(await freeUdpPort())], {
      digit: '7',
    });
    const room = await dmWith('+15557770004');
    const callId = `out-dtmf-${Date.now()}`;
    const phone = await callOut(room, callId);
    const answer = await callEvent(room, callId, 'm.call.answer');
    await phone.accept((answer.content.answer as { sdp: string }).sdp);
    const typed = await sendText(user, room, '!dtmf 7');
    await sendAs(user, room, { ...base(callId), reason: 'user_hangup' }, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0); // sipp checked the INFO's Signal=7
    const notices = (await roomEvents(user, room, 50)).filter(
      (e) =>
        e.content.msgtype === 'm.notice' &&
        JSON.stringify(e.content['m.relates_to'] ?? {}).includes(typed),
    );
    expect(notices, 'no failure notice for the DTMF command').toEqual([]);
  });

  for (const [status, reason, expected] of [
    [486, 'Busy Here', { type: 'm.call.hangup', reason: 'user_busy' }],
    [480, 'Temporarily Unavailable', { type: 'm.call.hangup', reason: 'invite_timeout' }],
    [603, 'Decline', { type: 'm.call.reject', reason: undefined }],
  ] as const) {
    it(`a ${status} from the phone is ${expected.type}${expected.reason ? ` (${expected.reason})` : ''} in Matrix`, async () => {
      const phone = sipp(
        'uas-status',
        ['-p', String(gatewayPort), '-mp', String(await freeUdpPort())],
        { status: String(status), reason },
      );
      const room = await dmWith('+15557770002');
      const callId = `out-${status}-${Date.now()}`;
      const caller = await callOut(room, callId);
      const ev = await callEvent(room, callId, expected.type);
      await caller.close();
      expect(ev.content.reason).toBe(expected.reason);
      expect(await phone.done, phone.output()).toBe(0);
    });
  }

  it('a call to a premium-rate number is refused: hangup in Matrix, nothing dialled', async () => {
    const room = await dmWithRefused('+19005550100');
    expect(room).toBeUndefined();
  });

  it('an INVITE to the DID rings the Matrix user; m.call.answer is the 200 OK; audio crosses the relay both ways; the phone BYE hangs up', async () => {
    const far = sipp('uac-call', await callerArgs(['-rtp_echo']));
    const room = await roomOfBob();
    const invite = await nextInvite(room);
    expect(invite.sender).toBe('@sip_bob=40localhost:localhost');
    const offer = (invite.content.offer as { sdp: string }).sdp;
    expect(offer, 'a WebRTC offer from the relay').toMatch(/a=fingerprint:/);
    const callId = String(invite.content.call_id);
    const phone = new WebrtcPhone();
    const { sdp: answerSdp, candidates } = splitCandidates(await phone.answer(offer));
    await sendAs(
      user,
      room,
      { ...base(callId), answer: { type: 'answer', sdp: answerSdp } },
      'm.call.answer',
    );
    await sendAs(user, room, { ...base(callId), candidates }, 'm.call.candidates');
    // The user's second device answers too, late: the bridge keeps the first answer and names it.
    await sendAs(
      user,
      room,
      { ...base(callId), party_id: 'otherdevice', answer: { type: 'answer', sdp: answerSdp } },
      'm.call.answer',
    );
    const selected = await callEvent(room, callId, 'm.call.select_answer');
    expect(selected.content.selected_party_id).toBe('testdevice');
    const back = await echoed(phone);
    expect(back.length, 'pattern packets back through SIP').toBeGreaterThanOrEqual(PATTERN * 0.9);
    const hangup = await callEvent(room, callId, 'm.call.hangup');
    expect(hangup.content.reason).toBe('user_hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0);
  });

  it('an incoming call nobody answers stops ringing on both sides: 480 to the phone, invite_timeout in Matrix', async () => {
    const far = sipp('uac-unanswered', await callerArgs(), { final: '480' });
    const room = await roomOfBob();
    const invite = await nextInvite(room);
    const hangup = await callEvent(room, String(invite.content.call_id), 'm.call.hangup');
    expect(hangup.content.reason).toBe('invite_timeout');
    expect(await far.done, far.output()).toBe(0);
  });

  it('an incoming call the Matrix user rejects is a 603 to the phone', async () => {
    const far = sipp('uac-unanswered', await callerArgs(), { final: '603' });
    const room = await roomOfBob();
    const invite = await nextInvite(room);
    await sendAs(user, room, base(String(invite.content.call_id)), 'm.call.reject');
    expect(await far.done, far.output()).toBe(0);
  });

  it('a caller who gives up (CANCEL) ends the ringing in Matrix', async () => {
    const far = sipp('uac-cancel', await callerArgs());
    const room = await roomOfBob();
    const invite = await nextInvite(room);
    const hangup = await callEvent(room, String(invite.content.call_id), 'm.call.hangup');
    expect(hangup.content.reason).toBe('user_hangup');
    expect(await far.done, far.output()).toBe(0);
  });

  it('an outgoing call nobody answers is cancelled on both sides: CANCEL to the phone, invite_timeout in Matrix', async () => {
    const far = sipp('uas-ring', ['-p', String(gatewayPort), '-mp', String(await freeUdpPort())]);
    const room = await dmWith('+15557770003');
    const callId = `out-ring-${Date.now()}`;
    const caller = await callOut(room, callId);
    const hangup = await callEvent(room, callId, 'm.call.hangup');
    expect(hangup.content.reason).toBe('invite_timeout');
    await caller.close();
    expect(await far.done, far.output()).toBe(0);
  });
});

/** Tries to open a DM with a number the dial plan refuses: the ghost declines. */
async function dmWithRefused(number: string): Promise<string | undefined> {
  const ghost = `@sip_=2b${number.slice(1)}:localhost`;
  const { room_id: roomId } = await asUser<{ room_id: string }>(
    user,
    'POST',
    '/_matrix/client/v3/createRoom',
    { is_direct: true, invite: [ghost], preset: 'trusted_private_chat' },
  );
  await waitFor(
    async () =>
      (await roomEvents(user, roomId, 50)).some(
        (e) =>
          e.type === 'm.room.member' && e.state_key === ghost && e.content.membership === 'leave',
      ),
    20_000,
    'the ghost to decline the DM',
  );
  return undefined;
}
