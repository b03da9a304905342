// The email bridge against real Dovecot + OpenSMTPD and real Synapse: bob (a mail user, nodemailer)
// writes to the bridged mailbox; alice (a Matrix user) sees the mail as a thread root with its
// subject, bob's reply inside that Matrix thread, answers in the thread, and bob gets a reply mail
// threaded by its headers (and the bridge's Sent folder a copy). A new mail from a top-level
// message needs `To:`; header injection from Matrix never reaches a header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  joinAlias,
  roomEvents,
  sendAs,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  mailsIn,
  sendMail,
  startEmailBridge,
  tag,
  waitForMail,
} from '../support/mail-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const BOB_GHOST = '@email_bob=40localhost:localhost';
const BOT = '@switchboard:localhost';
type Relation = { rel_type?: string; event_id?: string; is_falling_back?: boolean };
const relation = (e: RoomEvent) => e.content['m.relates_to'] as Relation | undefined;
const body = (e: RoomEvent) => String(e.content.body ?? '');

describe('email bridge: mail threads ↔ Matrix threads (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const mailboxId = `m${t}`;
  const folder = `msgs${t}`;
  const to = `bridge+${folder}@localhost`;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;
  let rootMessageId: string;
  let rootEventId: string;
  let lastMailId: string;

  const seen = (match: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(alice, roomId, 200)).find(match), 20_000, what, 100);

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
    bridge = await startEmailBridge({
      [mailboxId]: bridgeMailbox([{ folder, invite: [alice.userId] }], { sent_folder: 'Sent' }),
    });
    roomId = await joinAlias(alice, `#email_${mailboxId}:localhost`);
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('a mail becomes a thread root showing its subject, sent by the ghost of its sender named from From', async () => {
    rootMessageId = await sendMail({
      from: '"Bob Example" <bob@localhost>',
      to,
      subject: `Quarterly numbers ${t}`,
      text: `Hi team,\nthe numbers are in. ${t}`,
    });
    const root = await seen(
      (e) => body(e).includes(`the numbers are in. ${t}`),
      'the mail in the room',
    );
    rootEventId = root.event_id;
    expect(root.sender).toBe(BOB_GHOST);
    expect(body(root).split('\n')[0]).toBe(`Quarterly numbers ${t}`);
    expect(String(root.content.formatted_body)).toContain(
      `<strong>Quarterly numbers ${t}</strong>`,
    );
    expect(relation(root), 'a root is not in a thread itself').toBeUndefined();
    const profile = await asUser<{ displayname?: string }>(
      alice,
      'GET',
      `/_matrix/client/v3/profile/${encodeURIComponent(BOB_GHOST)}`,
    );
    expect(profile.displayname).toBe('Bob Example');
  });

  it('a reply mail (In-Reply-To) lands in that Matrix thread; its HTML is sanitized', async () => {
    lastMailId = await sendMail({
      from: '"Bob Example" <bob@localhost>',
      to,
      subject: `Re: Quarterly numbers ${t}`,
      inReplyTo: rootMessageId,
      references: [rootMessageId],
      text: `Forgot: revenue is up ${t}`,
      html: `<p>Forgot: <b>revenue</b> is up ${t}</p><script>alert(1)</script><img src="https://tracker.example/x.png">`,
    });
    const reply = await seen(
      (e) => body(e).includes(`revenue is up ${t}`),
      'the reply mail in the room',
    );
    expect(reply.sender).toBe(BOB_GHOST);
    expect(relation(reply)).toMatchObject({ rel_type: 'm.thread', event_id: rootEventId });
    const html = String(reply.content.formatted_body);
    expect(html).toMatch(/<(b|strong)>revenue<\/(b|strong)>/);
    expect(html).not.toMatch(/script|alert|<img|tracker/);
  });

  it('a reply without References joins the thread by its subject (Re: …)', async () => {
    lastMailId = await sendMail({
      from: 'carol@localhost',
      to,
      subject: `RE: Quarterly numbers ${t}`,
      text: `I agree ${t}\n\nOn Monday, Bob Example <bob@localhost> wrote:\n> Hi team,\n> the numbers are in.`,
    });
    const reply = await seen((e) => body(e).includes(`I agree ${t}`), 'the subject-threaded mail');
    expect(body(reply), 'quoted history folded').toBe(`I agree ${t}\n[… quoted text hidden]`);
    expect(relation(reply)).toMatchObject({ rel_type: 'm.thread', event_id: rootEventId });
    expect(reply.sender).toBe('@email_carol=40localhost:localhost');
    // The whole mail is one click away, beside the folded text, in the thread.
    const whole = await seen(
      (e) => e.content.msgtype === 'm.file' && body(e) === 'mail.eml' && e.sender === reply.sender,
      'the whole mail as a file',
    );
    expect(relation(whole)).toMatchObject({ rel_type: 'm.thread', event_id: rootEventId });
    const { hsUrl } = requireSynapse();
    const eml = await fetch(
      `${hsUrl}/_matrix/client/v1/media/download/${String(whole.content.url).replace('mxc://', '')}`,
      { headers: { authorization: `Bearer ${alice.accessToken}` } },
    );
    const text = await eml.text();
    expect(text).toMatch(/^Subject: RE: Quarterly numbers/m);
    expect(text).toContain('> the numbers are in.');
  });

  it("a Matrix reply in the thread reaches the thread's correspondents as a reply mail, and the Sent folder", async () => {
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: `Great work, thanks ${t}`,
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: rootEventId,
        is_falling_back: true,
        'm.in_reply_to': { event_id: rootEventId },
      },
    });
    const mail = await waitForMail(
      'bob',
      (m) => (m.text ?? '').includes(`Great work, thanks ${t}`),
      'the reply mail',
    );
    expect(mail.subject).toBe(`Re: Quarterly numbers ${t}`);
    expect(mail.from?.value[0]?.address).toBe('bridge@localhost');
    expect(mail.from?.value[0]?.name).toMatch(/\(via Team\)$/);
    expect(mail.replyTo?.value[0]?.address).toBe('bridge@localhost');
    expect(mail.inReplyTo, 'answers the latest mail of the thread').toBe(lastMailId);
    const refs = [mail.references ?? []].flat();
    expect(refs[0], 'References start at the root').toBe(rootMessageId);
    expect(refs).toContain(lastMailId);
    const recipients = [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address) ?? []);
    expect(recipients.sort()).toEqual(['bob@localhost', 'carol@localhost']);
    expect(mail.html).toContain(`Great work, thanks ${t}`);
    await waitForMail('bridge', (m) => m.messageId === mail.messageId, 'the copy in Sent', 'Sent');
    // The bridge's own mail is never bridged back into the room.
    await new Promise((r) => setTimeout(r, 1500));
    const ghostCopies = (await roomEvents(alice, roomId, 200)).filter(
      (e) => e.sender !== alice.userId && body(e).includes(`Great work, thanks ${t}`),
    );
    expect(ghostCopies).toEqual([]);
  });

  it('a top-level message without recipients is refused with the reason; with To: it starts a new mail', async () => {
    const refused = await sendText(alice, roomId, `Just a thought ${t}`);
    const notice = await seen(
      (e) =>
        e.sender === BOT &&
        (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
          'm.in_reply_to'
        ]?.event_id === refused,
      'the failure notice',
    );
    expect(body(notice)).toMatch(/needs recipients.*To: /);

    await sendText(
      alice,
      roomId,
      `To: bob@localhost\nSubject: Lunch ${t}?\nShall we meet at noon? ${t}`,
    );
    const mail = await waitForMail('bob', (m) => m.subject === `Lunch ${t}?`, 'the new mail');
    expect(mail.text?.trim()).toBe(`Shall we meet at noon? ${t}`);
    expect(mail.inReplyTo).toBeUndefined();
    // bob answers it: the answer lands in the Matrix thread of the message that started it.
    const started = await seen(
      (e) => e.sender === alice.userId && body(e).includes(`Lunch ${t}?`),
      'the message',
    );
    await sendMail({
      from: 'bob@localhost',
      to,
      subject: `Re: Lunch ${t}?`,
      inReplyTo: mail.messageId!,
      references: [mail.messageId!],
      text: `Noon works ${t}`,
    });
    const answer = await seen((e) => body(e).includes(`Noon works ${t}`), "bob's answer");
    expect(relation(answer)).toMatchObject({ rel_type: 'm.thread', event_id: started.event_id });
  });

  it('header injection from Matrix (CR/LF in the subject, a bad address) never reaches a header', async () => {
    await sendText(
      alice,
      roomId,
      `To: bob@localhost\nSubject: Hi ${t}\rBcc: alice@localhost\r\nX-Evil: yes ${t}\nbody ${t}`,
    );
    const mail = await waitForMail(
      'bob',
      (m) => (m.subject ?? '').startsWith(`Hi ${t}`),
      'the mail',
    );
    expect(mail.subject).toBe(`Hi ${t} Bcc: alice@localhost`);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.has('x-evil')).toBe(false);
    expect(mail.text).toContain(`X-Evil: yes ${t}`); // it stayed in the body, where it is harmless

    const bad = await sendText(
      alice,
      roomId,
      `To: bob@localhost>\r\nBcc: alice@localhost\nhello ${t}`,
    );
    const notice = await seen(
      (e) =>
        e.sender === BOT &&
        (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
          'm.in_reply_to'
        ]?.event_id === bad,
      'the refusal',
    );
    expect(body(notice)).toMatch(/not an email address/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      (await mailsIn('alice')).filter(
        (m) => /(body|hello) /.test(m.text ?? '') && (m.text ?? '').includes(t),
      ),
      'alice got nothing (no Bcc)',
    ).toEqual([]);
  });
  it('attachments both ways: a mail attachment becomes Matrix media in the thread; Matrix media goes out attached', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const filesId = await sendMail({
      from: '"Bob Example" <bob@localhost>',
      to,
      subject: `Files ${t}`,
      text: `the chart is attached ${t}`,
      attachments: [{ filename: `chart-${t}.png`, content: png, contentType: 'image/png' }],
    });
    const root = await seen((e) => body(e).includes(`the chart is attached ${t}`), 'the mail');
    const image = await seen((e) => e.content.msgtype === 'm.image', 'the attachment');
    expect(image.sender).toBe(BOB_GHOST);
    expect(body(image)).toBe(`chart-${t}.png`);
    expect(relation(image)).toMatchObject({ rel_type: 'm.thread', event_id: root.event_id });
    const { hsUrl } = requireSynapse();
    const mxc = String(image.content.url).replace('mxc://', '');
    const got = await fetch(`${hsUrl}/_matrix/client/v1/media/download/${mxc}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(png), 'the same bytes in Matrix').toBe(true);

    // alice answers in the thread with a file of her own
    const notes = Buffer.from(`notes for the meeting ${t}\n`);
    const upload = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=notes.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'text/plain' },
      body: notes,
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    await sendAs(alice, roomId, {
      msgtype: 'm.file',
      body: 'notes.txt',
      filename: 'notes.txt',
      url: content_uri,
      info: { mimetype: 'text/plain', size: notes.length },
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: root.event_id },
      },
    });
    const mail = await waitForMail(
      'bob',
      (m) => m.subject === `Re: Files ${t}` && m.attachments.length > 0,
      'the reply with the file',
    );
    expect(mail.inReplyTo).toBe(filesId);
    expect(mail.attachments[0]?.filename).toBe('notes.txt');
    expect(mail.attachments[0]?.content.equals(notes), 'the same bytes by mail').toBe(true);
  });

  it('a mailing list thread (List-Post) is answered on the list, not to each sender', async () => {
    await sendMail({
      from: 'bob@localhost',
      to,
      subject: `List topic ${t}`,
      headers: { 'List-Id': 'Dev <dev.localhost>', 'List-Post': '<mailto:alice@localhost>' },
      text: `posted to the list ${t}`,
    });
    const root = await seen((e) => body(e).includes(`posted to the list ${t}`), 'the list mail');
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: `answer on the list ${t}`,
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: root.event_id },
      },
    });
    const mail = await waitForMail(
      'alice',
      (m) => (m.text ?? '').includes(`answer on the list ${t}`),
      'the answer at the list address',
    );
    expect(mail.subject).toBe(`Re: List topic ${t}`);
    expect([mail.to].flat().flatMap((a) => a?.value.map((v) => v.address))).toEqual([
      'alice@localhost',
    ]);
    expect(
      (await mailsIn('bob')).filter((m) => (m.text ?? '').includes(`answer on the list ${t}`)),
    ).toEqual([]);
  });
});
