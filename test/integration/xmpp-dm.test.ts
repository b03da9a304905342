// One-to-one chats through the XMPP bridge, against real Prosody and Synapse: an XMPP user
// writing to a Matrix user's address on the component gets a direct-chat room with the Matrix
// user invited (and invited back after they left); receipts and markers; styling ↔ HTML both
// ways; hostile XML in Matrix text arrives as text, and an oversized message is refused with its
// reason. More of the chat's features: xmpp-dm-features.test.ts.
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { joinDmRoom, joinWhenInvited, matrixUser, said, xmppScope } from '../support/xmpp-scope.js';
import { chat, ghostOf, matrixJid, type XmppUser } from '../support/xmpp-user.js';

const PUBLIC = 'https://files.example.org';

describe('XMPP one-to-one chats (Prosody + Synapse)', () => {
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;
  let mattJid: string;
  let dmRoom: string;

  const fromGhost = (room: string, ghost: string, body: string) => said(matt, room, ghost, body);

  beforeAll(async () => {
    requireSynapse();
    [alice, bob] = await Promise.all([scope.user('alice', 'dm'), scope.user('bob', 'dm')]);
    await scope.bridge(connector, {}, { publicLinks: { url: PUBLIC } });
    matt = await matrixUser('matt');
    mattJid = matrixJid(matt.userId);
  });

  it('an XMPP message to a Matrix user makes a direct chat with them invited', async () => {
    await alice.send(chat(alice.jid, mattJid, 'hello from xmpp', 'x1'));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', matt);
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
    await joinWhenInvited(matt, dmRoom);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'are you there?');
  });
});
