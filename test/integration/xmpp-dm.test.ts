// One-to-one chats through the XMPP bridge, against real Prosody and Synapse: an XMPP user
// writing to a Matrix user's address on the component gets a direct-chat room with the Matrix
// user invited (and invited back after they left); a Matrix user who invites a ghost to a direct
// chat talks to that XMPP user; styling ↔ HTML both ways; hostile XML in Matrix text arrives as
// text, and an oversized message is refused with its reason.
import { xml } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import {
  chat,
  ghostOf,
  matrixJid,
  startXmppBridge,
  xmppUser,
  type XmppUser,
} from '../support/xmpp-user.js';

const PUBLIC = 'https://files.example.org';
const DISCO = 'http://jabber.org/protocol/disco#info';

describe('XMPP one-to-one chats (Prosody + Synapse)', () => {
  const connector = new XmppConnector();
  let bridge: Switchboard;
  let matt: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;
  let mattJid: string;
  let mattsRoom = '';
  let dmRoom: string;

  const fromGhost = (room: string, ghost: string, body: string) =>
    waitFor(
      async () =>
        (await roomEvents(matt, room)).find((e) => e.sender === ghost && e.content.body === body),
      20_000,
      `"${body}" from ${ghost}`,
    );
  const invitedRoom = async () =>
    waitFor(
      () => connector.roomOf(XmppConnector.dmPortal('alice@localhost', matt.userId)),
      20_000,
      'the DM room',
    );
  /** Joins the room as soon as matt is invited (a user who is not in a room cannot read its state). */
  const joinWhenInvited = (room: string) =>
    waitFor(
      () =>
        asUser(matt, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {}).then(
          () => true,
          () => false,
        ),
      20_000,
      `matt invited to ${room}`,
    );

  beforeAll(async () => {
    requireSynapse();
    [alice, bob] = await Promise.all([xmppUser('alice', 'dm'), xmppUser('bob', 'dm')]);
    bridge = await startXmppBridge(connector, {}, { publicLinks: { url: PUBLIC } });
    matt = await registerUser(uniqueLocalpart('matt'));
    mattJid = matrixJid(matt.userId);
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await bridge?.stop();
  });

  it('an XMPP message to a Matrix user makes a direct chat with them invited', async () => {
    await alice.send(chat(alice.jid, mattJid, 'hello from xmpp', 'x1'));
    dmRoom = await invitedRoom();
    await joinWhenInvited(dmRoom);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'hello from xmpp');
    const invite = (await roomEvents(matt, dmRoom)).find(
      (e) =>
        e.type === 'm.room.member' &&
        e.state_key === matt.userId &&
        e.content.membership === 'invite',
    );
    expect(invite?.content.is_direct).toBe(true);
  });

  it("the Matrix user's answer reaches the XMPP user from their address, in order", async () => {
    await sendText(matt, dmRoom, 'hi alice');
    await sendText(matt, dmRoom, 'second');
    await waitFor(() => alice.bodiesFrom(mattJid).includes('second'), 20_000, 'second on XMPP');
    expect(alice.bodiesFrom(mattJid)).toEqual(['hi alice', 'second']);
    const el = alice.heard.find((e) => e.getChildText('body') === 'hi alice')!;
    expect(el.attrs.from).toBe(`${mattJid}/matrix`);
    expect(el.attrs.type).toBe('chat');
  });

  it('XEP-0333: messages are markable, and a displayed marker is a read receipt of the ghost', async () => {
    await sendText(matt, dmRoom, 'read me');
    const el = await alice.expect(
      (e) => e.name === 'message' && e.getChildText('body') === 'read me',
      'read me on XMPP',
    );
    expect(el.getChild('markable', 'urn:xmpp:chat-markers:0')).toBeDefined();
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: mattJid },
        xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: el.attrs.id }),
      ),
    );
    const readMe = (await roomEvents(matt, dmRoom)).find((e) => e.content.body === 'read me')!;
    await waitFor(
      async () => {
        const sync = await asUser<{
          rooms?: {
            join?: Record<
              string,
              {
                ephemeral?: {
                  events?: {
                    type: string;
                    content: Record<string, Record<string, Record<string, unknown>>>;
                  }[];
                };
              }
            >;
          };
        }>(matt, 'GET', '/_matrix/client/v3/sync?timeout=0');
        const receipts = sync.rooms?.join?.[dmRoom]?.ephemeral?.events?.filter(
          (e) => e.type === 'm.receipt',
        );
        return receipts?.some(
          (r) => !!r.content[readMe.event_id]?.['m.read']?.[ghostOf('alice@localhost')],
        );
      },
      20_000,
      "alice's read receipt",
    );
  });

  it('XEP-0333/0184: a Matrix read receipt is a displayed marker; a receipt request is answered once bridged', async () => {
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: mattJid, id: 'mark1' },
        xml('body', {}, 'did you read this?'),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    // XEP-0184: answered from Matt's address once the message is in the Matrix room.
    const received = await alice.expect(
      (e) =>
        e.name === 'message' && e.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'mark1',
      'the delivery receipt',
    );
    expect(received.attrs.from).toBe(`${mattJid}/matrix`);
    const ev = await fromGhost(dmRoom, ghostOf('alice@localhost'), 'did you read this?');
    expect(
      alice.heard.some((e) => e.getChild('displayed', 'urn:xmpp:chat-markers:0')),
      'nothing read yet',
    ).toBe(false);
    await asUser(
      matt,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/receipt/m.read/${encodeURIComponent(ev.event_id)}`,
      {},
    );
    const marker = await alice.expect(
      (e) => e.name === 'message' && !!e.getChild('displayed', 'urn:xmpp:chat-markers:0'),
      'the displayed marker',
    );
    expect(marker.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id).toBe('mark1');
    expect(marker.attrs.from).toBe(`${mattJid}/matrix`);
    expect(marker.getChildText('body')).toBeNull();
  });

  it('styling ↔ HTML both ways', async () => {
    await sendAs(matt, dmRoom, {
      msgtype: 'm.text',
      body: 'bold and code',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>bold</b> and <code>code</code>',
    });
    await waitFor(
      () => alice.bodiesFrom(mattJid).includes('*bold* and `code`'),
      20_000,
      'styled text on XMPP',
    );
    await alice.send(chat(alice.jid, mattJid, 'this is *strong* and _emphasis_'));
    const e = await fromGhost(
      dmRoom,
      ghostOf('alice@localhost'),
      'this is *strong* and _emphasis_',
    );
    expect(e.content.formatted_body).toBe('this is <strong>strong</strong> and <em>emphasis</em>');
  });

  it('XHTML-IM (XEP-0071) from XMPP is Matrix HTML; a script in it is not', async () => {
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: mattJid },
        xml('body', {}, 'rich hello'),
        xml(
          'html',
          { xmlns: 'http://jabber.org/protocol/xhtml-im' },
          xml(
            'body',
            { xmlns: 'http://www.w3.org/1999/xhtml' },
            xml('strong', {}, 'rich'),
            ' ',
            xml('em', {}, 'hello'),
            xml('script', {}, 'alert(1)'),
          ),
        ),
      ),
    );
    const e = await fromGhost(dmRoom, ghostOf('alice@localhost'), 'rich hello');
    expect(e.content.formatted_body).toBe('<strong>rich</strong> <em>hello</em>');
  });

  it('hostile XML in Matrix text arrives as text, and the stream survives controls', async () => {
    const hostile =
      '</body></message><message to="bob@localhost"><body>pwn</body>]]><![CDATA[&amp;';
    await sendText(matt, dmRoom, hostile);
    await sendText(matt, dmRoom, 'bell\u0007 and nul\u0000 gone');
    await sendText(matt, dmRoom, 'still connected');
    await waitFor(() => alice.bodiesFrom(mattJid).includes('still connected'), 20_000, 'after');
    expect(alice.bodiesFrom(mattJid)).toContain(hostile);
    expect(alice.bodiesFrom(mattJid)).toContain('bell and nul gone');
    expect(bob.bodiesFrom(mattJid)).toEqual([]);
  });

  it('an oversized message is refused, with the reason, to the sender', async () => {
    const big = await sendText(matt, dmRoom, 'x'.repeat(40_000));
    const notice = await waitFor(
      async () =>
        (await roomEvents(matt, dmRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === big,
        ),
      20_000,
      'the refusal',
    );
    expect(String(notice.content.body)).toContain('takes at most 32768');
  });

  it('after the Matrix user left, the next message invites them back to the room', async () => {
    await asUser(matt, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/leave`, {});
    const [left] = await roomEvents(matt, dmRoom, 1);
    expect(left?.content.membership).toBe('leave');
    // The room is invite-only: joining works again only once the bridge invited him back.
    await expect(
      asUser(matt, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(dmRoom)}`, {}),
    ).rejects.toThrow(/403/);
    await alice.send(chat(alice.jid, mattJid, 'are you there?'));
    await joinWhenInvited(dmRoom);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'are you there?');
  });

  it('corrections and reactions in a chat, both ways (by the message ids)', async () => {
    await alice.send(chat(alice.jid, mattJid, 'dm tpyo', 'd1'));
    const original = await fromGhost(dmRoom, ghostOf('alice@localhost'), 'dm tpyo');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: mattJid, id: 'd2' },
        xml('body', {}, 'dm typo'),
        xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'd1' }),
      ),
    );
    await waitFor(
      async () =>
        (await roomEvents(matt, dmRoom)).find(
          (e) =>
            (e.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id ===
              original.event_id &&
            (e.content['m.new_content'] as { body?: string })?.body === 'dm typo',
        ),
      20_000,
      'the edit',
    );
    await sendAs(
      matt,
      dmRoom,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id, key: '👍' } },
      'm.reaction',
    );
    const reaction = await alice.expect(
      (el) => !!el.getChild('reactions', 'urn:xmpp:reactions:0'),
      'the reaction on XMPP',
    );
    expect(reaction.getChild('reactions', 'urn:xmpp:reactions:0')?.attrs.id).toBe('d1');
  });

  it("service discovery: a Matrix user's address tells what the bridge carries", async () => {
    const info = await alice.client.iqCaller.request(
      xml('iq', { type: 'get', to: `${mattJid}/matrix` }, xml('query', { xmlns: DISCO })),
    );
    const features = info
      .getChild('query', DISCO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining(['urn:xmpp:reactions:0', 'urn:xmpp:message-correct:0']),
    );
    const component = await alice.client.iqCaller.request(
      xml('iq', { type: 'get', to: 'matrix.localhost' }, xml('query', { xmlns: DISCO })),
    );
    expect(component.getChild('query', DISCO)?.getChild('identity')?.attrs).toMatchObject({
      category: 'gateway',
      type: 'matrix',
    });
    await expect(
      alice.client.iqCaller.request(
        xml(
          'iq',
          { type: 'get', to: 'no\\20one@matrix.localhost' },
          xml('query', { xmlns: DISCO }),
        ),
      ),
    ).rejects.toThrow(/item-not-found/);
  });

  it('a file goes as a public link, with XEP-0066 out-of-band data', async () => {
    const { hsUrl } = requireSynapse();
    const res = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=dot.png`, {
      method: 'POST',
      headers: { authorization: `Bearer ${matt.accessToken}`, 'content-type': 'image/png' },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });
    const { content_uri: mxc } = (await res.json()) as { content_uri: string };
    await sendAs(matt, dmRoom, {
      msgtype: 'm.image',
      body: 'dot.png',
      url: mxc,
      info: { mimetype: 'image/png' },
    });
    const el = await alice.expect((e) => !!e.getChild('x', 'jabber:x:oob'), 'the file on XMPP');
    const url = el.getChild('x', 'jabber:x:oob')?.getChildText('url');
    expect(url?.startsWith(`${PUBLIC}/`)).toBe(true);
    expect(el.getChildText('body')).toContain(url);
  });

  it('only the Matrix user the chat belongs to speaks in it: others are refused', async () => {
    const zoe = await registerUser(uniqueLocalpart('zoe'));
    await asUser(matt, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/invite`, {
      user_id: zoe.userId,
    });
    await asUser(zoe, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(dmRoom)}`, {});
    const refused = await sendText(zoe, dmRoom, 'let me in');
    const notice = await waitFor(
      async () =>
        (await roomEvents(matt, dmRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === refused,
        ),
      20_000,
      'the refusal',
    );
    expect(String(notice.content.body)).toContain(`only ${matt.userId} speaks in this chat`);
    expect(alice.bodiesFrom(matrixJid(zoe.userId))).toEqual([]);
  });

  it('a Matrix user who invites a ghost to a direct chat talks to that XMPP user', async () => {
    const bobGhost = ghostOf('bob@localhost');
    const { room_id: room } = await asUser<{ room_id: string }>(
      matt,
      'POST',
      '/_matrix/client/v3/createRoom',
      { invite: [bobGhost], is_direct: true, preset: 'trusted_private_chat' },
    );
    await waitFor(
      async () =>
        (await roomEvents(matt, room)).some(
          (e) =>
            e.type === 'm.room.member' &&
            e.state_key === bobGhost &&
            e.content.membership === 'join',
        ),
      20_000,
      'the ghost joined',
    );
    await sendText(matt, room, 'hello bob');
    await waitFor(() => bob.bodiesFrom(mattJid).includes('hello bob'), 20_000, 'on XMPP');
    await bob.send(chat(bob.jid, mattJid, 'hello matt'));
    await fromGhost(room, bobGhost, 'hello matt');
    mattsRoom = room;
  });

  it('a direct chat the Matrix user started and left is reopened when the contact writes again', async () => {
    const bobGhost = ghostOf('bob@localhost');
    const portal = XmppConnector.dmPortal('bob@localhost', matt.userId);
    await asUser(
      matt,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(mattsRoom)}/leave`,
      {},
    );
    // The bridge bot is not in that room (Matt made it): the chat moves to a room of its own.
    await waitFor(
      async () => {
        await bob.send(chat(bob.jid, mattJid, 'are you there?'));
        const now = await connector.roomOf(portal);
        return now && now !== mattsRoom ? now : undefined;
      },
      20_000,
      'a new room for the chat',
      1_000,
    ).then(async (room) => {
      await joinWhenInvited(room);
      await fromGhost(room, bobGhost, 'are you there?');
      const invite = (await roomEvents(matt, room)).find(
        (e) =>
          e.type === 'm.room.member' &&
          e.state_key === matt.userId &&
          e.content.membership === 'invite',
      );
      expect(invite?.content.is_direct).toBe(true);
      await sendText(matt, room, 'back again');
      await waitFor(() => bob.bodiesFrom(mattJid).includes('back again'), 20_000, 'on XMPP');
    });
  });
});
