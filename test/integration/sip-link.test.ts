// `sip link <party> <room>` through real Synapse and real Kamailio: a user's conversation with a
// SIP address lives in an existing room of theirs (not a DM the bridge makes): the party's ghost
// joins it, the phone's texts arrive there and the user's texts there reach the phone; a room where
// the user is no moderator is refused; `sip unlink` gives the room back. The phone is sip.js
// registered as alice on Kamailio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { base, callEvent, callOut, echoed, PATTERN } from '../support/sip-calls.js';
import {
  freeUdpPort,
  sipp,
  sipPhone,
  startSipBridge,
  type SipPhone,
} from '../support/sip-phone.js';
import { BOT, command as typed, openManagementRoom } from '../support/management-room.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

const DID = '+15550004';
const GHOST = '@sip_alice=40localhost:localhost';
let sb: Switchboard;
let user: TestUser;
let alice: SipPhone;
let mgmt: string;
let gatewayPort: number;

/** Types a command to the bot; returns the bot's first notice after it. */
const command = async (text: string) => (await typed(user, mgmt, text)).answer;

const createRoom = (owner: TestUser, invite: string[]) =>
  asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', {
    name: 'Sales',
    invite,
    preset: 'private_chat',
  }).then((r) => r.room_id);

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('siplink'));
  gatewayPort = await freeUdpPort();
  ({ sb } = await startSipBridge({
    dids: { [DID]: user.userId },
    dial_plan: { allow_domains: ['localhost'], number_domain: `127.0.0.1:${gatewayPort}` },
  }));
  alice = await sipPhone('alice');
  mgmt = await openManagementRoom(user);
}, 60_000);

afterAll(async () => {
  await alice?.stop();
  await sb?.stop();
}, 30_000);

describe('sip link', () => {
  it("carries the user's texts with a SIP address through an existing room of theirs, both ways", async () => {
    const room = await createRoom(user, [BOT]);
    const answer = await command(`sip link alice@localhost ${room}`);
    expect(answer).toContain(`Linked ${room}`);
    await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).some(
          (e) =>
            e.type === 'm.room.member' && e.state_key === GHOST && e.content.membership === 'join',
        ),
      20_000,
      "the party's ghost to join the linked room",
    );

    expect(await alice.text(`sip:${DID}@localhost`, 'hello, linked room')).toBe(200);
    await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) => e.sender === GHOST && e.content.body === 'hello, linked room',
        ),
      20_000,
      "the phone's text in the linked room",
    );

    await sendText(user, room, 'hi alice, from the sales room');
    await waitFor(
      async () => alice.texts.find((t) => t.body === 'hi alice, from the sales room'),
      20_000,
      'the text on the phone',
    );

    expect(await command('sip unlink alice@localhost')).toContain(`Unlinked ${room}`);
    expect(await command('sip unlink alice@localhost')).toContain('had no room');
  });

  it('carries a call with a number through the linked room, audio both ways', async () => {
    const room = await createRoom(user, [BOT]);
    expect(await command(`sip link +1 555 777 0004 ${room}`)).toContain(`Linked ${room}`);
    const far = sipp('uas-answer', [
      '-p',
      String(gatewayPort),
      '-mp',
      String(await freeUdpPort()),
      '-rtp_echo',
    ]);
    const callId = `link-${Date.now()}`;
    const phone = await callOut(user, room, callId);
    const answer = await callEvent(user, room, callId, 'm.call.answer');
    expect(answer.sender).toBe('@sip_=2b15557770004:localhost');
    await phone.accept((answer.content.answer as { sdp: string }).sdp);
    expect((await echoed(phone)).length, 'audio through the relay').toBeGreaterThanOrEqual(
      PATTERN * 0.9,
    );
    await sendAs(user, room, { ...base(callId), reason: 'user_hangup' }, 'm.call.hangup');
    await phone.close();
    expect(await far.done, far.output()).toBe(0);
  });

  it('is refused for a room where the user is no moderator, and for a destination the dial plan refuses', async () => {
    const owner = await registerUser(uniqueLocalpart('siplinkowner'));
    const room = await createRoom(owner, [user.userId, BOT]);
    await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});
    expect(await command(`sip link alice@localhost ${room}`)).toMatch(
      /^Cannot link .*: you need to be a moderator there \(power level 50\)\.$/,
    );
    expect(await command(`sip link +1 900 555 0100 ${room}`)).toMatch(
      /^Cannot reach \+19005550100/,
    );
    expect(await command('sip link alice@localhost')).toMatch(/^Usage/);
  });
});
