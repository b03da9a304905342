// Private messages through a MUC portal (XEP-0045 §7.5), both ways: an XMPP occupant's private
// message to a Matrix user's occupant opens a direct chat of that pair (never shown in the MUC's
// room), the Matrix user's answers reach the occupant from their own occupant, a Matrix user
// starts one by inviting an occupant's ghost; an occupant who left is told in the chat and a
// message to them is refused with the reason; a room that forbids a Matrix user's private
// messages (the test Prosody's `nopm…` rooms: moderators only) answers with an error the Matrix
// sender is told; in a chat the Matrix user started (the bridge's bot is not in it) the ghost
// tells them instead.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, replyTarget, roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import {
  enterMuc,
  joinWhenInvited,
  matrixUser,
  memberIn,
  said,
  xmppScope,
} from '../support/xmpp-scope.js';
import { ghostOf, joinMuc, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

const MUC_USER = 'http://jabber.org/protocol/muc#user';

/** A private message to an occupant, as clients send it (XEP-0045 §7.5). */
const privateMessage = (to: string, body: string) =>
  xml('message', { type: 'chat', to }, xml('body', {}, body), xml('x', { xmlns: MUC_USER }));

/** A direct chat `user` starts by inviting `ghost`, once the ghost is in it; the room's id. */
async function inviteGhost(user: TestUser, ghost: string): Promise<string> {
  const { room_id: room } = await asUser<{ room_id: string }>(
    user,
    'POST',
    '/_matrix/client/v3/createRoom',
    { invite: [ghost], is_direct: true, preset: 'trusted_private_chat' },
  );
  await memberIn(user, room, ghost, 'join', 'the ghost joined');
  return room;
}

/** The failure notice core gives `user` in `roomId` for their event `refused`; its text. */
const failureOf = async (user: TestUser, roomId: string, refused: string) =>
  String(
    (
      await waitFor(
        async () =>
          (await roomEvents(user, roomId)).find(
            (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === refused,
          ),
        20_000,
        'the failure notice',
      )
    ).content.body,
  );

describe('XMPP: private messages through a MUC (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `pm${suffix}@${MUC_HOST}`;
  const closed = `nopm${suffix}@${MUC_HOST}`;
  const mattNick = `Matt ${suffix}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let carol: XmppUser;
  let dave: XmppUser;
  let matt: TestUser;
  let mucRoom: string;
  let chatRoom: string;
  /** The direct chat Matt started with Dave's ghost: the bridge's bot is not in it. */
  let startedRoom: string;

  beforeAll(async () => {
    requireSynapse();
    [carol, dave] = await Promise.all([scope.user('carol', 'pm'), scope.user('dave', 'pm')]);
    await joinMuc(carol, room, 'Carol');
    await joinMuc(dave, room, 'Dave');
    await scope.bridge(connector);
    matt = await matrixUser('matt', mattNick);
    mucRoom = await enterMuc(matt, room, mattNick, carol);
  });

  it("an occupant's private message opens a direct chat with their ghost, and answers go back privately", async () => {
    const carolGhost = ghostOf(`${room}/Carol`);
    await carol.send(privateMessage(`${room}/${mattNick}`, 'psst, matt'));
    chatRoom = await waitFor(
      () => connector.roomOf(XmppConnector.mucPrivatePortal(room, matt.userId, 'Carol')),
      20_000,
      'the private chat',
    );
    expect(chatRoom).not.toBe(mucRoom);
    await joinWhenInvited(matt, chatRoom);
    await said(matt, chatRoom, carolGhost, 'psst, matt');
    const invite = (await roomEvents(matt, chatRoom)).find(
      (e) => e.type === 'm.room.member' && e.state_key === matt.userId,
    );
    expect(invite?.content.is_direct).toBe(true);

    await sendText(matt, chatRoom, 'psst, carol');
    const answer = await carol.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'psst, carol',
      'the answer on XMPP',
    );
    expect(answer.attrs.from).toBe(`${room}/${mattNick}`);
    expect(answer.attrs.type).toBe('chat');
    // Private both ways: neither reached the MUC's room or its other occupants.
    const inMuc = (await roomEvents(matt, mucRoom)).map((e) => e.content.body);
    expect(inMuc).not.toContain('psst, matt');
    expect(dave.bodiesFrom(`${room}/${mattNick}`)).toEqual([]);
  });

  it("a Matrix user starts one by inviting an occupant's ghost to a direct chat", async () => {
    const daveGhost = ghostOf(`${room}/Dave`);
    const started = (startedRoom = await inviteGhost(matt, daveGhost));
    await sendText(matt, started, 'hello dave, privately');
    const got = await dave.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'hello dave, privately',
      'the message on XMPP',
    );
    expect(got.attrs.from).toBe(`${room}/${mattNick}`);
    expect(got.attrs.type).toBe('chat');
    await dave.send(privateMessage(`${room}/${mattNick}`, 'hello matt'));
    await said(matt, started, daveGhost, 'hello matt');
  });

  it('in a chat the Matrix user started (no bot in it), the ghost tells that its occupant left and refuses', async () => {
    const daveGhost = ghostOf(`${room}/Dave`);
    await dave.send(xml('presence', { to: `${room}/Dave`, type: 'unavailable' }));
    const left = await waitFor(
      async () =>
        (await roomEvents(matt, startedRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && /Dave left/.test(String(e.content.body)),
        ),
      20_000,
      'the notice that Dave left',
    );
    expect(left.sender).toBe(daveGhost);
    const refused = await sendText(matt, startedRoom, 'dave?');
    expect(await failureOf(matt, startedRoom, refused)).toMatch(/Dave left .*cannot be delivered/);
  });

  it('an occupant who left: the chat is told, and a message to them is refused with the reason', async () => {
    await carol.send(xml('presence', { to: `${room}/Carol`, type: 'unavailable' }));
    const notice = await waitFor(
      async () =>
        (await roomEvents(matt, chatRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && /Carol left/.test(String(e.content.body)),
        ),
      20_000,
      'the notice that Carol left',
    );
    expect(String(notice.content.body)).toContain(room);
    const refused = await sendText(matt, chatRoom, 'are you still there?');
    expect(await failureOf(matt, chatRoom, refused)).toMatch(/Carol left .*cannot be delivered/);
    expect(carol.bodiesFrom(`${room}/${mattNick}`)).not.toContain('are you still there?');
  });

  it("a room that forbids a Matrix user's private messages: its refusal is told to them", async () => {
    // In the test Prosody's nopm… rooms only moderators send private messages: Carol made the
    // room (its owner), Matt is a participant.
    await joinMuc(carol, closed, 'Carol');
    await enterMuc(matt, closed, mattNick, carol);
    await carol.send(privateMessage(`${closed}/${mattNick}`, 'only I may whisper here'));
    const started = await waitFor(
      () => connector.roomOf(XmppConnector.mucPrivatePortal(closed, matt.userId, 'Carol')),
      20_000,
      'the private chat',
    );
    await joinWhenInvited(matt, started);
    await said(matt, started, ghostOf(`${closed}/Carol`), 'only I may whisper here');
    const refused = await sendText(matt, started, 'may I whisper back?');
    expect(await failureOf(matt, started, refused)).toMatch(/not allowed/i);
    expect(carol.bodiesFrom(`${closed}/${mattNick}`)).toEqual([]);
  });
});
