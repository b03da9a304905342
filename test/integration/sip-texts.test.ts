// SIP MESSAGE ↔ Matrix DM texts through real Kamailio (SIP over WebSocket, digest auth on REGISTER)
// and real Synapse: a SIP phone (sip.js, registered as alice) texts the bridge's DID, the DID's
// Matrix user gets a DM with the phone's ghost and answers; the answer reaches the phone. Also:
// a registrar restart (the bridge registers again by itself), and hostile input both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipConnector } from '../../bridges/sip/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendText } from '../support/bridge-harness.js';
import {
  joinInvitedRoom,
  restartKamailio,
  sipPhone,
  startSipBridge,
  type SipPhone,
} from '../support/sip-phone.js';
import {
  registerUser,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { asUser } from '../support/bridge-harness.js';

const DID = '+15550001';
let sb: Switchboard;
let connector: SipConnector;
let user: TestUser;
let alice: SipPhone;
let dm: string;

const bodies = async (roomId: string) =>
  (await roomEvents(user, roomId, 100))
    .filter((e) => e.type === 'm.room.message')
    .map((e) => ({ sender: e.sender, body: String(e.content.body), msgtype: e.content.msgtype }));

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('siptext'));
  ({ sb, connector } = await startSipBridge({ dids: { [DID]: user.userId } }));
  alice = await sipPhone('alice');
}, 60_000);

afterAll(async () => {
  await alice?.stop();
  await sb?.stop();
}, 30_000);

describe('SIP texts', () => {
  it('a MESSAGE to the DID opens a DM with the sender ghost, and the answer reaches the phone', async () => {
    expect(connector.registration).toBe('registered');
    const status = await alice.text(`sip:${DID}@localhost`, 'hello from a phone\r\nline two', {
      displayName: 'Alice Phone',
    });
    expect(status).toBe(200);
    dm = await joinInvitedRoom(user);
    const ghost = '@sip_alice=40localhost:localhost';
    await waitFor(
      async () => (await bodies(dm)).find((m) => m.sender === ghost && m.body.includes('hello')),
      20_000,
      'the text in the DM, from the ghost',
    );
    expect((await bodies(dm)).find((m) => m.sender === ghost)?.body).toBe(
      'hello from a phone\r\nline two',
    );
    await sendText(user, dm, 'hi alice, from Matrix');
    await waitFor(
      async () => alice.texts.find((t) => t.body === 'hi alice, from Matrix'),
      20_000,
      'the answer on the phone',
    );
    const got = alice.texts.find((t) => t.body === 'hi alice, from Matrix')!;
    expect(got.fromUser).toBe('switchboard');
    expect(got.contentType).toMatch(/^text\/plain/);
  });

  it('a Matrix text with CR/LF and header-like lines stays in the body', async () => {
    const evil = 'x\r\nContent-Length: 0\r\n\r\nINVITE sip:bob@localhost SIP/2.0\r\nVia: evil';
    await sendText(user, dm, evil);
    const got = await waitFor(
      async () => alice.texts.find((t) => t.body.includes('INVITE sip:bob')),
      20_000,
      'the hostile text on the phone',
    );
    expect(got.body).toBe(evil);
    expect(got.fromUser).toBe('switchboard');
  });

  it('a text the far end refuses gets a failure notice in Matrix', async () => {
    // alice unregisters: Kamailio answers 404.
    const before = await bodies(dm);
    await alice.stop();
    const failedId = await sendText(user, dm, 'nobody is there');
    const notice = await waitFor(
      async () =>
        (await roomEvents(user, dm, 100)).find(
          (e) =>
            e.content.msgtype === 'm.notice' &&
            (
              e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined
            )?.['m.in_reply_to']?.event_id === failedId,
        ),
      20_000,
      'the failure notice',
    );
    expect(String(notice.content.body)).toMatch(/404|not delivered/i);
    expect(before.length).toBeGreaterThan(0);
    alice = await sipPhone('alice');
  });

  it('after a registrar restart the bridge registers again and texts flow', async () => {
    await alice.stop();
    await restartKamailio();
    await waitFor(
      async () => connector.registration !== 'registered' || undefined,
      10_000,
      'the bridge to notice the restart',
    ).catch(() => undefined);
    await connector.registered(30_000);
    alice = await sipPhone('alice');
    const status = await alice.text(`sip:${DID}@localhost`, 'after the restart');
    expect(status).toBe(200);
    await waitFor(
      async () => (await bodies(dm)).find((m) => m.body === 'after the restart'),
      20_000,
      'the text after the restart',
    );
  });

  it('sip status in the management room tells the registration and the user their number', async () => {
    const bot = `@${testRegistration().sender_localpart}:localhost`;
    const { room_id: mgmt } = await asUser<{ room_id: string }>(
      user,
      'POST',
      '/_matrix/client/v3/createRoom',
      { is_direct: true, invite: [bot], preset: 'trusted_private_chat' },
    );
    await waitFor(
      async () =>
        (await roomEvents(user, mgmt, 20)).some(
          (e) => e.sender === bot && e.content.msgtype === 'm.notice',
        ),
      20_000,
      'the bot to greet',
    );
    const asked = await sendText(user, mgmt, 'sip status');
    const reply = await waitFor(
      async () => {
        const events = await roomEvents(user, mgmt, 50);
        const at = events.findIndex((e) => e.event_id === asked);
        return at < 0
          ? undefined
          : events.slice(at + 1).find((e) => e.sender === bot && e.content.msgtype === 'm.notice');
      },
      20_000,
      'the answer to sip status',
    );
    expect(String(reply.content.body)).toMatch(/SIP trunk: registered/);
    expect(String(reply.content.body)).toContain(`Your number: ${DID}`);
  });
});
