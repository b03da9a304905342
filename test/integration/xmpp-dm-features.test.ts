// One-to-one chats through the XMPP bridge, against real Prosody and Synapse, continued from
// xmpp-dm.test.ts: corrections and reactions both ways, service discovery of a Matrix user's
// address, a file as a public link (XEP-0066), only the chat's own Matrix user speaks in it, a
// Matrix user who invites a ghost to a direct chat talks to that XMPP user, and such a chat,
// left, is reopened when the contact writes again.
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import {
  joinDmRoom,
  joinWhenInvited,
  matrixUser,
  memberIn,
  said,
  xmppScope,
} from '../support/xmpp-scope.js';
import { chat, ghostOf, matrixJid, type XmppUser } from '../support/xmpp-user.js';

const PUBLIC = 'https://files.example.org';
const DISCO = 'http://jabber.org/protocol/disco#info';

describe('XMPP one-to-one chats, their features (Prosody + Synapse)', () => {
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;
  let mattJid: string;
  let mattsRoom = '';
  let dmRoom: string;

  const fromGhost = (room: string, ghost: string, body: string) => said(matt, room, ghost, body);

  beforeAll(async () => {
    requireSynapse();
    [alice, bob] = await Promise.all([scope.user('alice', 'dmx'), scope.user('bob', 'dmx')]);
    await scope.bridge(connector, {}, { publicLinks: { url: PUBLIC } });
    matt = await matrixUser('matt');
    mattJid = matrixJid(matt.userId);
    // The chat alice opened, as xmpp-dm.test.ts's first test makes it.
    await alice.send(chat(alice.jid, mattJid, 'hello from xmpp', 'x1'));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', matt);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'hello from xmpp');
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
    const zoe = await matrixUser('zoe');
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
    await memberIn(matt, room, bobGhost, 'join', 'the ghost joined');
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
      await joinWhenInvited(matt, room);
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
