// `sip login`: a Matrix user's own SIP account, through real Synapse and real Kamailio. A wrong
// password is refused and not kept; the right one is registered (the command redacted, the
// password sealed in the store); a phone's text and call to the account reach the Matrix user
// (who is no trunk user and has no DID), their reply goes out from the account, the call carries
// audio both ways; a restarted bridge registers it again; `sip logout` unregisters it (the
// registrar no longer finds it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendAs, sendText, type RoomEvent } from '../support/bridge-harness.js';
import { base, callEvent, echoed, PATTERN } from '../support/sip-calls.js';
import {
  freeUdpPort,
  joinInvitedRoom,
  sipp,
  sipPhone,
  sipPort,
  startSipBridge,
  type SipPhone,
} from '../support/sip-phone.js';
import { command as typed, openManagementRoom } from '../support/management-room.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';
import { splitCandidates, WebrtcPhone } from '../support/webrtc-phone.js';

let sb: Switchboard;
let user: TestUser;
let bob: SipPhone;
let dm: string;

/** Types a command to the bot; returns its event id and the bot's first notice after it. */
const command = (text: string) => typed(user, dm, text);

const stored = async (): Promise<Record<string, string>> => {
  const raw = await sb.store.kv.get('bridge:sip', 'user-accounts');
  return raw === undefined ? {} : (JSON.parse(raw) as Record<string, string>);
};

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('siplogin'));
  // No DIDs and no trunk users: what this user does goes through their own account only.
  ({ sb } = await startSipBridge({ users: ['@nobody:localhost'] }));
  bob = await sipPhone('bob');
  dm = await openManagementRoom(user);
}, 60_000);

afterAll(async () => {
  await bob?.stop();
  await sb?.stop();
}, 30_000);

describe('sip login', () => {
  it('a wrong password is refused and not kept', async () => {
    const { answer } = await command('sip login alice not-alicepw');
    expect(answer).toMatch(/^Login as alice failed: the registrar did not accept it/);
    expect(await stored()).toEqual({});
    expect(await bob.text('sip:alice@localhost', 'anyone?')).toBe(404);
  });

  let bobRoom: string;
  it('the right one is registered, the command redacted, the password sealed; texts go both ways', async () => {
    const { eventId, answer } = await command('sip login alice alicepw');
    expect(answer).toMatch(/^Registered as sip:alice@localhost/);
    expect(answer).toContain('I redacted your message');
    const ev = await asUser<RoomEvent>(
      user,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(dm)}/event/${encodeURIComponent(eventId)}`,
    );
    expect(ev.content).toEqual({});
    const sealed = await stored();
    expect(Object.keys(sealed)).toEqual([user.userId]);
    expect(sealed[user.userId]).not.toContain('alicepw');

    expect(await bob.text('sip:alice@localhost', 'hello alice, from bob')).toBe(200);
    bobRoom = await joinInvitedRoom(user, 20_000, new Set([dm]));
    await waitFor(
      async () =>
        (await roomEvents(user, bobRoom)).some(
          (e) =>
            e.sender === '@sip_bob=40localhost:localhost' &&
            e.content.body === 'hello alice, from bob',
        ),
      15_000,
      "bob's text in the DM",
    );
    await sendText(user, bobRoom, 'hi bob, alice here');
    const got = await waitFor(
      async () => bob.texts.find((t) => t.body === 'hi bob, alice here'),
      15_000,
      'the reply at bob',
    );
    expect(got.fromUser, 'sent from her own account, not the trunk').toBe('alice');
  });

  it('a call to the account rings the user; audio crosses the relay both ways', async () => {
    const far = sipp('uac-call', [
      '-s',
      'alice',
      '-p',
      String(await freeUdpPort()),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
      `127.0.0.1:${sipPort()}`,
    ]);
    const invite = await waitFor(
      async () =>
        (await roomEvents(user, bobRoom, 50)).find(
          (e) => e.type === 'm.call.invite' && e.sender !== user.userId,
        ),
      20_000,
      'the call invite',
    );
    const callId = String(invite.content.call_id);
    const phone = new WebrtcPhone();
    const { sdp, candidates } = splitCandidates(
      await phone.answer((invite.content.offer as { sdp: string }).sdp),
    );
    await sendAs(
      user,
      bobRoom,
      { ...base(callId), answer: { type: 'answer', sdp } },
      'm.call.answer',
    );
    await sendAs(user, bobRoom, { ...base(callId), candidates }, 'm.call.candidates');
    expect((await echoed(phone)).length).toBeGreaterThanOrEqual(PATTERN * 0.9);
    await callEvent(user, bobRoom, callId, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0);
  });

  it('a restarted bridge opens the stored login and registers it again', async () => {
    const database = sb.config.database;
    await sb.stop();
    ({ sb } = await startSipBridge({ users: ['@nobody:localhost'] }, undefined, { database }));
    await waitFor(
      async () => (await bob.text('sip:alice@localhost', 'after the restart')) === 200 || undefined,
      15_000,
      'alice registered again',
    );
    await waitFor(
      async () =>
        (await roomEvents(user, bobRoom)).some((e) => e.content.body === 'after the restart'),
      15_000,
      'the text after the restart',
    );
  });

  it('`sip logout` unregisters and forgets the account', async () => {
    const { answer } = await command('sip logout');
    expect(answer).toMatch(/^Your SIP account is unregistered and forgotten/);
    expect(await stored()).toEqual({});
    expect(await bob.text('sip:alice@localhost', 'still there?')).toBe(404);
  });
});
