// Mail from Matrix when the submission server is away, and bounces (OpenSMTPD + Dovecot + Synapse):
// OpenSMTPD sits behind a TCP gate. A mail the server cannot take now waits in the outbox and goes
// out when it is back, also across a bridge restart (once); one it never takes fails its Matrix
// event with the reason after `give_up_after_ms`; a delivery report (DSN) that comes back within
// `bounce_wait_ms` fails the Matrix event too ("Not delivered to Email").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  joinAlias,
  replyTarget,
  roomEvents,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  deliverRaw,
  mailsIn,
  requireMail,
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

const BOT = '@switchboard:localhost';
const body = (e: RoomEvent) => String(e.content.body ?? '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('email bridge: the outbox and bounces of mail from Matrix (OpenSMTPD behind a gate)', () => {
  const t = tag();
  const mailboxId = `o${t}`;
  const folder = `out${t}`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-email-outbox-')), 'switchboard.db');
  let gate: TcpGate;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;

  // A stop waits (up to 10 s) for mails core waits on: the first run gives up late, so that its
  // mail is still in the outbox after the restart.
  const start = (giveUpMs: number) => {
    const mailbox = bridgeMailbox([{ folder, invite: [alice.userId] }, { folder: 'INBOX' }]);
    return startEmailBridge(
      {
        [mailboxId]: { ...mailbox, smtp: { ...mailbox.smtp, port: gate.port } },
      },
      {
        database,
        extra: {
          bounce_wait_ms: 8000,
          send_retry: { first_ms: 300, max_ms: 1000, give_up_after_ms: giveUpMs },
        },
      },
    );
  };
  const failureNotice = (eventId: string, timeoutMs = 20_000) =>
    waitFor(
      async () =>
        (await roomEvents(alice, roomId, 200)).find(
          (e) => e.sender === BOT && replyTarget(e) === eventId && body(e).startsWith('⚠️'),
        ),
      timeoutMs,
      'the failure notice',
      150,
    );
  const bobMails = async (subject: string) =>
    (await mailsIn('bob')).filter((m) => m.subject === subject);

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
    gate = await startTcpGate(requireMail().smtpPort);
    bridge = await start(60_000);
    roomId = await joinAlias(alice, `#email_${mailboxId}:localhost`);
  });

  afterAll(async () => {
    await bridge?.stop();
    await gate?.close();
  });

  it('a mail the server cannot take now waits in the outbox and goes out when it is back', async () => {
    gate.shut();
    const eventId = await sendText(alice, roomId, `To: bob@localhost\nSubject: Queued ${t}\nhi`);
    await sleep(1500);
    expect(await bobMails(`Queued ${t}`), 'not out while the server is away').toEqual([]);
    gate.open();
    await waitForMail('bob', (m) => m.subject === `Queued ${t}`, 'the queued mail');
    await sleep(500);
    const notices = (await roomEvents(alice, roomId, 200)).filter(
      (e) => e.sender === BOT && replyTarget(e) === eventId,
    );
    expect(notices, 'no failure told').toEqual([]);
  });

  it('the outbox survives a restart: the mail goes out once the bridge and the server are back', async () => {
    gate.shut();
    await sendText(alice, roomId, `To: bob@localhost\nSubject: Restarted ${t}\nhi`);
    await sleep(1200); // tried, and kept
    await bridge!.stop();
    bridge = undefined;
    expect(await bobMails(`Restarted ${t}`)).toEqual([]);
    gate.open();
    bridge = await start(4000);
    await waitForMail(
      'bob',
      (m) => m.subject === `Restarted ${t}`,
      'the mail kept over the restart',
    );
    await sleep(1500);
    expect(await bobMails(`Restarted ${t}`), 'sent once').toHaveLength(1);
  });

  it('a mail the server never takes fails its Matrix event with the reason, after give_up_after_ms', async () => {
    gate.shut();
    const eventId = await sendText(alice, roomId, `To: bob@localhost\nSubject: Never ${t}\nhi`);
    const notice = await failureNotice(eventId);
    expect(body(notice)).toMatch(/Not delivered to Email: the mail could not be sent in \d+ tries/);
    gate.open();
    await sleep(1500);
    expect(await bobMails(`Never ${t}`), 'given up: not sent later').toEqual([]);
  });

  it('a delivery report within bounce_wait_ms fails the Matrix event of the mail', async () => {
    const eventId = await sendText(
      alice,
      roomId,
      `To: bob@localhost\nSubject: Bounced ${t}\nhello`,
    );
    const sent = await waitForMail('bob', (m) => m.subject === `Bounced ${t}`, 'the mail');
    const boundary = `b${t}`;
    const report = [
      'From: Mail Delivery System <MAILER-DAEMON@remote.example>',
      'To: bridge@localhost',
      `Subject: Undelivered Mail Returned to Sender ${t}`,
      `Message-ID: <dsn-out-${t}@remote.example>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      'The mail could not be delivered.',
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; remote.example',
      '',
      'Final-Recipient: rfc822; bob@localhost',
      'Action: failed',
      'Status: 5.2.2',
      'Diagnostic-Code: smtp; 552 5.2.2 mailbox full',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      'From: bridge@localhost',
      `Subject: Bounced ${t}`,
      `Message-ID: ${sent.messageId}`,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    await deliverRaw('bridge@localhost', report);
    const notice = await failureNotice(eventId);
    expect(body(notice)).toContain(
      'Not delivered to Email: the mail was not delivered: smtp; 552 5.2.2 mailbox full',
    );
  });
});
