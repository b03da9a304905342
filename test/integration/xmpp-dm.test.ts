// One-to-one chats through the XMPP bridge, against real Prosody and Synapse: an XMPP user
// writing to a Matrix user's address on the component gets a direct-chat room with the Matrix
// user invited (and invited back after they left); receipts and markers; styling ↔ HTML both
// ways; hostile XML in Matrix text arrives as text, and an oversized message is refused with its
// reason; XMPP messages too large for a Matrix event arrive cut (saying so) or as plain text. More of the chat's features: xmpp-dm-features.test.ts.
import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { waitFor } from '../support/synapse.js';
import { dmParties, joinDmRoom, joinWhenInvited } from '../support/xmpp-scope.js';
import { chat, ghostOf } from '../support/xmpp-user.js';

const PUBLIC = 'https://files.example.org';

describe('XMPP one-to-one chats (Prosody + Synapse)', () => {
  const dm = dmParties('dm', PUBLIC);
  const { connector, fromGhost } = dm;
  let dmRoom: string;

  it('an XMPP message to a Matrix user makes a direct chat with them invited', async () => {
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'hello from xmpp', 'x1'));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', dm.matt);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'hello from xmpp');
    const invite = (await roomEvents(dm.matt, dmRoom)).find(
      (e) =>
        e.type === 'm.room.member' &&
        e.state_key === dm.matt.userId &&
        e.content.membership === 'invite',
    );
    expect(invite?.content.is_direct).toBe(true);
  });

  it("the Matrix user's answer reaches the XMPP user from their address, in order", async () => {
    await sendText(dm.matt, dmRoom, 'hi alice');
    await sendText(dm.matt, dmRoom, 'second');
    await waitFor(
      () => dm.alice.bodiesFrom(dm.mattJid).includes('second'),
      20_000,
      'second on XMPP',
    );
    expect(dm.alice.bodiesFrom(dm.mattJid)).toEqual(['hi alice', 'second']);
    const el = dm.alice.heard.find((e) => e.getChildText('body') === 'hi alice')!;
    expect(el.attrs.from).toBe(`${dm.mattJid}/matrix`);
    expect(el.attrs.type).toBe('chat');
  });

  it('XEP-0333: messages are markable, and a displayed marker is a read receipt of the ghost', async () => {
    await sendText(dm.matt, dmRoom, 'read me');
    const el = await dm.alice.expect(
      (e) => e.name === 'message' && e.getChildText('body') === 'read me',
      'read me on XMPP',
    );
    expect(el.getChild('markable', 'urn:xmpp:chat-markers:0')).toBeDefined();
    type Sync = {
      next_batch: string;
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
    };
    // Synapse answers a repeated initial /sync from its cache for 2 minutes: only syncs from a
    // token taken before the marker see a receipt that came after the first look.
    let since = (await asUser<Sync>(dm.matt, 'GET', '/_matrix/client/v3/sync?timeout=0'))
      .next_batch;
    await dm.alice.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid },
        xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: el.attrs.id }),
      ),
    );
    const readMe = (await roomEvents(dm.matt, dmRoom)).find((e) => e.content.body === 'read me')!;
    await waitFor(
      async () => {
        const sync = await asUser<Sync>(
          dm.matt,
          'GET',
          `/_matrix/client/v3/sync?timeout=2000&since=${encodeURIComponent(since)}`,
        );
        since = sync.next_batch;
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
    await dm.alice.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid, id: 'mark1' },
        xml('body', {}, 'did you read this?'),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    // XEP-0184: answered from Matt's address once the message is in the Matrix room.
    const received = await dm.alice.expect(
      (e) =>
        e.name === 'message' && e.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'mark1',
      'the delivery receipt',
    );
    expect(received.attrs.from).toBe(`${dm.mattJid}/matrix`);
    const ev = await fromGhost(dmRoom, ghostOf('alice@localhost'), 'did you read this?');
    expect(
      dm.alice.heard.some((e) => e.getChild('displayed', 'urn:xmpp:chat-markers:0')),
      'nothing read yet',
    ).toBe(false);
    await asUser(
      dm.matt,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/receipt/m.read/${encodeURIComponent(ev.event_id)}`,
      {},
    );
    const marker = await dm.alice.expect(
      (e) => e.name === 'message' && !!e.getChild('displayed', 'urn:xmpp:chat-markers:0'),
      'the displayed marker',
    );
    expect(marker.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id).toBe('mark1');
    expect(marker.attrs.from).toBe(`${dm.mattJid}/matrix`);
    expect(marker.getChildText('body')).toBeNull();
  });

  it('styling ↔ HTML both ways', async () => {
    await sendAs(dm.matt, dmRoom, {
      msgtype: 'm.text',
      body: 'bold and code',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>bold</b> and <code>code</code>',
    });
    await waitFor(
      () => dm.alice.bodiesFrom(dm.mattJid).includes('*bold* and `code`'),
      20_000,
      'styled text on XMPP',
    );
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'this is *strong* and _emphasis_'));
    const e = await fromGhost(
      dmRoom,
      ghostOf('alice@localhost'),
      'this is *strong* and _emphasis_',
    );
    expect(e.content.formatted_body).toBe('this is <strong>strong</strong> and <em>emphasis</em>');
  });

  it('XHTML-IM (XEP-0071) from XMPP is Matrix HTML; a script in it is not', async () => {
    await dm.alice.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid },
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
    await sendText(dm.matt, dmRoom, hostile);
    await sendText(dm.matt, dmRoom, 'bell\u0007 and nul\u0000 gone');
    await sendText(dm.matt, dmRoom, 'still connected');
    await waitFor(
      () => dm.alice.bodiesFrom(dm.mattJid).includes('still connected'),
      20_000,
      'after',
    );
    expect(dm.alice.bodiesFrom(dm.mattJid)).toContain(hostile);
    expect(dm.alice.bodiesFrom(dm.mattJid)).toContain('bell and nul gone');
    expect(dm.bob.bodiesFrom(dm.mattJid)).toEqual([]);
  });

  it('an oversized message is refused, with the reason, to the sender', async () => {
    const big = await sendText(dm.matt, dmRoom, 'x'.repeat(40_000));
    const notice = await waitFor(
      async () =>
        (await roomEvents(dm.matt, dmRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === big,
        ),
      20_000,
      'the refusal',
    );
    expect(String(notice.content.body)).toContain('takes at most 32768');
  });

  it('XMPP messages too large for a Matrix event arrive all the same: cut, saying so, or plain', async () => {
    const CUT = ' […cut: the message was too long for Matrix]';
    const styled = '*a* <'.repeat(6_000); // 30 KB whose HTML would be over 100 KB
    const quotes = '"'.repeat(31_000); // 31 KB, 62 KB as JSON
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'y'.repeat(40_000), 'long1'));
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, styled, 'long2'));
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, quotes, 'long3'));
    // A correction carries its text twice (the new content and the fallback).
    const corrected = 'z'.repeat(32_000);
    await dm.alice.send(
      xml(
        'message',
        { type: 'chat', to: dm.mattJid, id: 'long4' },
        xml('body', {}, corrected),
        xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'long1' }),
      ),
    );
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'after the long ones', 'long5'));
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'after the long ones');
    const events = (await roomEvents(dm.matt, dmRoom, 10)).filter(
      (e) => e.sender === ghostOf('alice@localhost'),
    );
    const bodies = events.map((e) => String(e.content.body));
    const cut = (prefix: string) => bodies.find((b) => b.startsWith(prefix) && b.endsWith(CUT));
    expect(cut('yyyy'), 'the long message, cut').toBeDefined();
    const plain = events.find((e) => e.content.body === styled);
    expect(plain, 'the styled one, whole').toBeDefined();
    expect(plain!.content.formatted_body, 'as plain text').toBeUndefined();
    expect(cut('""""'), 'the quotes, cut').toBeDefined();
    expect(cut('* zzzz'), 'the correction, cut').toBeDefined();
    expect(dm.alice.heard.filter((el) => el.attrs.type === 'error')).toEqual([]);
  });

  it('after the Matrix user left, the next message invites them back to the room', async () => {
    await asUser(
      dm.matt,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/leave`,
      {},
    );
    const [left] = await roomEvents(dm.matt, dmRoom, 1);
    expect(left?.content.membership).toBe('leave');
    // The room is invite-only: joining works again only once the bridge invited him back.
    await expect(
      asUser(dm.matt, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(dmRoom)}`, {}),
    ).rejects.toThrow(/403/);
    await dm.alice.send(chat(dm.alice.jid, dm.mattJid, 'are you there?'));
    await joinWhenInvited(dm.matt, dmRoom);
    await fromGhost(dmRoom, ghostOf('alice@localhost'), 'are you there?');
  });
});
