// One-to-one chats through the XMPP bridge, against real Prosody and Synapse, continued from
// xmpp-dm.test.ts: corrections and reactions both ways, service discovery of a Matrix user's
// address, a file as a public link (XEP-0066), only the chat's own Matrix user speaks in it, a
// Matrix user who invites a ghost to a direct chat talks to that XMPP user, and such a chat,
// left, is reopened in place when the contact writes again (the ghost invites them back); a
// contact's XEP-0172 nick names their ghost.
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor } from '../support/synapse.js';
import { dmParties, joinDmRoom, matrixUser, memberIn } from '../support/xmpp-scope.js';
import { chat, ghostOf, matrixJid } from '../support/xmpp-user.js';

const PUBLIC = 'https://files.example.org';
const DISCO = 'http://jabber.org/protocol/disco#info';

describe('XMPP one-to-one chats, their features (Prosody + Synapse)', () => {
  const dm = dmParties('dmx', PUBLIC);
  const { connector, fromGhost } = dm;
  let mattsRoom = '';
  let dmRoom: string;

  beforeAll(async () => {
    // The chat alice opened, as xmpp-dm.test.ts's first test makes it.
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'hello from xmpp', 'x1'));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', dm.matt);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'hello from xmpp');
  });

  it('corrections and reactions in a chat, both ways (by the message ids)', async () => {
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'dm tpyo', 'd1'));
    const original = await fromGhost(dmRoom, ghostOf('alice@localhost'), 'dm tpyo');
    await dm.alice.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid, id: 'd2' },
        xml('body', {}, 'dm typo'),
        xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'd1' }),
      ),
    );
    await waitFor(
      async () =>
        (await roomEvents(dm.matt, dmRoom)).find(
          (e) =>
            (e.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id ===
              original.event_id &&
            (e.content['m.new_content'] as { body?: string })?.body === 'dm typo',
        ),
      20_000,
      'the edit',
    );
    await sendAs(
      dm.matt,
      dmRoom,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id, key: '👍' } },
      'm.reaction',
    );
    const reaction = await dm.alice.expect(
      (el) => !!el.getChild('reactions', 'urn:xmpp:reactions:0'),
      'the reaction on XMPP',
    );
    expect(reaction.getChild('reactions', 'urn:xmpp:reactions:0')?.attrs.id).toBe('d1');
  });

  it("service discovery: a Matrix user's address tells what the bridge carries", async () => {
    const info = await dm.alice.client.iqCaller.request(
      xml('iq', { type: 'get', to: `${dm.mattJid}/matrix` }, xml('query', { xmlns: DISCO })),
    );
    const features = info
      .getChild('query', DISCO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining(['urn:xmpp:reactions:0', 'urn:xmpp:message-correct:0']),
    );
    const component = await dm.alice.client.iqCaller.request(
      xml('iq', { type: 'get', to: 'matrix.localhost' }, xml('query', { xmlns: DISCO })),
    );
    expect(component.getChild('query', DISCO)?.getChild('identity')?.attrs).toMatchObject({
      category: 'gateway',
      type: 'matrix',
    });
    await expect(
      dm.alice.client.iqCaller.request(
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
      headers: { authorization: `Bearer ${dm.matt.accessToken}`, 'content-type': 'image/png' },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });
    const { content_uri: mxc } = (await res.json()) as { content_uri: string };
    await sendAs(dm.matt, dmRoom, {
      msgtype: 'm.image',
      body: 'dot.png',
      url: mxc,
      info: { mimetype: 'image/png' },
    });
    const el = await dm.alice.expect((e) => !!e.getChild('x', 'jabber:x:oob'), 'the file on XMPP');
    const url = el.getChild('x', 'jabber:x:oob')?.getChildText('url');
    expect(url?.startsWith(`${PUBLIC}/`)).toBe(true);
    expect(el.getChildText('body')).toContain(url);
  });

  it('only the Matrix user the chat belongs to speaks in it: others are refused', async () => {
    const zoe = await matrixUser('zoe');
    await asUser(dm.matt, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/invite`, {
      user_id: zoe.userId,
    });
    await asUser(zoe, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(dmRoom)}`, {});
    const refused = await sendText(zoe, dmRoom, 'let me in');
    const notice = await waitFor(
      async () =>
        (await roomEvents(dm.matt, dmRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === refused,
        ),
      20_000,
      'the refusal',
    );
    expect(String(notice.content.body)).toContain(`only ${dm.matt.userId} speaks in this chat`);
    expect(dm.alice.bodiesFrom(matrixJid(zoe.userId))).toEqual([]);
  });

  it('a Matrix user who invites a ghost to a direct chat talks to that XMPP user', async () => {
    const bobGhost = ghostOf('bob@localhost');
    const { room_id: room } = await asUser<{ room_id: string }>(
      dm.matt,
      'POST',
      '/_matrix/client/v3/createRoom',
      { invite: [bobGhost], is_direct: true, preset: 'trusted_private_chat' },
    );
    await memberIn(dm.matt, room, bobGhost, 'join', 'the ghost joined');
    await sendText(dm.matt, room, 'hello bob');
    await waitFor(() => dm.bob.bodiesFrom(dm.mattJid).includes('hello bob'), 20_000, 'on XMPP');
    await dm.bob.send(chat(dm.bob.jid, dm.mattJid, 'hello matt'));
    await fromGhost(room, bobGhost, 'hello matt');
    mattsRoom = room;
  });

  it('a direct chat the Matrix user started and left: the ghost invites them back to it', async () => {
    const bobGhost = ghostOf('bob@localhost');
    const portal = XmppConnector.dmPortal('bob@localhost', dm.matt.userId);
    await asUser(
      dm.matt,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(mattsRoom)}/leave`,
      {},
    );
    // Until the bridge has seen the leave, a message goes to the room without an invite.
    let sent = 0;
    await waitFor(
      async () => {
        await dm.bob.send(chat(dm.bob.jid, dm.mattJid, `are you there? ${++sent}`));
        return asUser(
          dm.matt,
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(mattsRoom)}`,
          {},
        ).then(
          () => true,
          () => false,
        );
      },
      20_000,
      'Matt invited back',
      1_000,
    );
    // The bridge bot is not in that room (Matt made it): its ghost invited him, and nothing moved.
    const invite = await memberIn(dm.matt, mattsRoom, dm.matt.userId, 'invite', 'the invite');
    expect(invite.sender).toBe(bobGhost);
    expect(await connector.roomOf(portal)).toBe(mattsRoom);
    for (let i = 1; i <= sent; i++) await fromGhost(mattsRoom, bobGhost, `are you there? ${i}`);
    await sendText(dm.matt, mattsRoom, 'back again');
    await waitFor(() => dm.bob.bodiesFrom(dm.mattJid).includes('back again'), 20_000, 'on XMPP');
  });

  it("a contact's XEP-0172 nick in their message names their ghost", async () => {
    const bobGhost = ghostOf('bob@localhost');
    await dm.bob.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid },
        xml('body', {}, 'call me Bobby'),
        xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Bobby Tables'),
      ),
    );
    await fromGhost(mattsRoom, bobGhost, 'call me Bobby');
    await waitFor(
      async () =>
        (
          await asUser<{ displayname?: string }>(
            dm.matt,
            'GET',
            `/_matrix/client/v3/profile/${encodeURIComponent(bobGhost)}`,
          )
        ).displayname === 'Bobby Tables',
      20_000,
      "the ghost named by Bob's nick",
    );
  });
});
