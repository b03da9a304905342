// The email bridge when things go wrong, against real Dovecot + OpenSMTPD and Synapse: the IMAP
// connection drops mid-IDLE and the server stays unreachable for a while (a TCP gate between the
// bridge and Dovecot), mail delivered meanwhile arrives once, in order, after the reconnect;
// auto-replies come as notices in their thread; the server's spam verdict and the mailbox's deny
// list keep mail out of the room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, sendText, type RoomEvent } from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  deliverRaw,
  requireMail,
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
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';

const body = (e: RoomEvent) => String(e.content.body ?? '');
const relation = (e: RoomEvent) =>
  e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;

describe('email bridge reliability (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const mailboxId = `f${t}`;
  const folder = `faults${t}`;
  const to = `bridge+${folder}@localhost`;
  let gate: TcpGate;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;

  const mine = async () =>
    (await roomEvents(alice, roomId, 300)).filter((e) => body(e).includes(`#${t}`));
  const seen = (match: (e: RoomEvent) => boolean, what: string, timeoutMs = 20_000) =>
    waitFor(async () => (await mine()).find(match), timeoutMs, what, 150);
  const deliver = (n: string, extra: Record<string, unknown> = {}) =>
    sendMail(
      { from: 'bob@localhost', to, subject: `Mail ${n}`, text: `mail ${n} #${t}`, ...extra },
      { lmtp: true },
    );

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
    gate = await startTcpGate(requireMail().imapPort);
    // INBOX too: bounces come back to the mailbox's address.
    const mailbox = bridgeMailbox([{ folder, invite: [alice.userId] }, { folder: 'INBOX' }], {
      deny_senders: ['@spammers.example'],
    });
    bridge = await startEmailBridge({
      [mailboxId]: { ...mailbox, imap: { ...mailbox.imap, port: gate.port } },
    });
    roomId = await joinAlias(alice, `#email_${mailboxId}:localhost`);
  });

  afterAll(async () => {
    await bridge?.stop();
    await gate?.close();
  });

  it('the IMAP connection drops mid-IDLE: mail delivered while the server is away arrives after the reconnect, once, in order', async () => {
    await deliver('1');
    await seen((e) => body(e).includes('mail 1 '), 'mail 1');
    gate.shut(); // the connection in IDLE is cut; reconnects fail while shut
    await deliver('2');
    await deliver('3');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await mine()).filter((e) => /mail [23] /.test(body(e)))).toEqual([]);
    gate.open();
    await seen((e) => body(e).includes('mail 3 '), 'mail 3 after the reconnect', 40_000);
    await deliver('4'); // and IDLE works on the new connection
    await seen((e) => body(e).includes('mail 4 '), 'mail 4');
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      (await mine()).map((e) => /mail (\d) /.exec(body(e))?.[1]).filter(Boolean),
      'each once, in order',
    ).toEqual(['1', '2', '3', '4']);
  });

  it('an auto-reply comes as a notice in the thread of the mail it answers', async () => {
    const original = await deliver('original');
    const root = await seen((e) => body(e).includes('mail original '), 'the original');
    await deliver('auto', {
      from: 'carol@localhost',
      subject: 'Out of office',
      inReplyTo: original,
      references: [original],
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: `I am away until Monday #${t}`,
    });
    const notice = await seen((e) => body(e).includes('I am away'), 'the auto-reply');
    expect(notice.content.msgtype).toBe('m.notice');
    expect(relation(notice)).toMatchObject({ rel_type: 'm.thread', event_id: root.event_id });
  });

  it("spam (the server's verdict) shows as a one-line notice without its body; a denied sender not at all", async () => {
    await deliver('spam', {
      subject: `Cheap pills #${t}`,
      headers: { 'X-Spam-Flag': 'YES' },
      text: `BUY NOW #${t}`,
    });
    await deliver('denied', { from: 'x@spammers.example', text: `from a denied sender #${t}` });
    await deliver('after');
    await seen((e) => body(e).includes('mail after '), 'the mail after them');
    const events = await mine();
    const spam = events.find((e) => body(e).includes('Cheap pills'));
    expect(spam?.content.msgtype).toBe('m.notice');
    expect(body(spam!)).toMatch(/marked a mail from bob@localhost as spam/);
    expect(events.filter((e) => /BUY NOW|denied sender/.test(body(e)))).toEqual([]);
  });

  it('a bounce of a mail from Matrix comes back into its thread, mentioning its sender', async () => {
    const sentId = await sendText(
      alice,
      roomId,
      `To: bob@localhost\nSubject: Lost ${t}\nhello #${t}`,
    );
    const sent = await waitForMail('bob', (m) => m.subject === `Lost ${t}`, 'the mail');
    // A remote server's delivery report (RFC 3464) arrives later at the mailbox's address (its
    // INBOX, not the folder the mail was sent from). OpenSMTPD itself keeps retrying what Dovecot
    // refuses over LMTP for days, so the test delivers the report as that server would.
    const boundary = `b${t}`;
    const report = [
      'From: Mail Delivery System <MAILER-DAEMON@remote.example>',
      'To: bridge@localhost',
      `Subject: Undelivered Mail Returned to Sender #${t}`,
      `Message-ID: <dsn-${t}@remote.example>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      `The mail to bob@localhost could not be delivered: mailbox full. #${t}`,
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; remote.example',
      '',
      'Final-Recipient: rfc822; bob@localhost',
      'Action: failed',
      'Status: 5.2.2',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      'From: bridge@localhost',
      `Subject: Lost ${t}`,
      `Message-ID: ${sent.messageId}`,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    await deliverRaw('bridge@localhost', report);
    const notice = await seen((e) => body(e).includes('mailbox full'), 'the bounce', 30_000);
    expect(notice.content.msgtype).toBe('m.notice');
    expect(relation(notice)).toMatchObject({ rel_type: 'm.thread', event_id: sentId });
    expect(body(notice)).toContain(`${alice.userId}: your mail “Lost ${t}” was not delivered:`);
    expect(notice.content['m.mentions']).toEqual({ user_ids: [alice.userId] });
  });
});
