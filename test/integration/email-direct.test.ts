// The email bridge's direct mode against real Synapse (and OpenSMTPD + Dovecot for answers): the
// bridge is the MX of `bridge.test`; nodemailer, as another mail server, delivers to it over SMTP.
// A DKIM-signed mail (signed here with a key made for the test) shows as verified, an unsigned one
// as not verified, a spoofed one under `p=reject` is refused, unknown recipients are refused at
// RCPT, a too-large mail at its size; a Matrix answer goes out through OpenSMTPD to the sender.
// DNS: the records below reach mailauth ONLY through its own `resolver` option (the bridge's
// `dnsResolver` connector option); the bridge code runs unchanged otherwise.
import { generateKeyPairSync } from 'node:crypto';
import { freePort } from '../support/free-port.js';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailConnector } from '../../bridges/email/index.js';
import type { AnyConnector } from '../../src/core/bridge-runtime.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  joinAlias,
  roomEvents,
  sendAs,
  startBridge,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { requireMail, tag, waitForMail } from '../support/mail-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const body = (e: RoomEvent) => String(e.content.body ?? '');
const relation = (e: RoomEvent) =>
  e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM_PUBLIC = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const DKIM_PRIVATE = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The test's DNS: TXT records only (the rest does not exist). */
const RECORDS: Record<string, string> = {
  'sel._domainkey.signed.test': `v=DKIM1; k=rsa; p=${DKIM_PUBLIC}`,
  'signed.test': 'v=spf1 ip4:127.0.0.1 -all',
  '_dmarc.signed.test': 'v=DMARC1; p=reject',
  'strict.test': 'v=spf1 -all',
  '_dmarc.strict.test': 'v=DMARC1; p=reject',
};
const notFound = (name: string) =>
  Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
async function resolver(name: string, type: string): Promise<string[][]> {
  const record = RECORDS[name.toLowerCase().replace(/\.$/, '')];
  if (type !== 'TXT' || !record) throw notFound(name);
  return [[record]];
}

describe('email bridge: the direct mode (an SMTP MX with SPF/DKIM/DMARC, Synapse)', () => {
  const t = tag();
  const room = `team${t}`;
  const to = `${room}@bridge.test`;
  let port: number;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;
  let signedId: string;
  let signedEventId: string;

  const seen = (match: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(alice, roomId, 200)).find(match), 20_000, what, 100);

  /** Another mail server delivering to the bridge's MX (no AUTH, no TLS: like port 25). */
  async function deliver(mail: Parameters<ReturnType<typeof createTransport>['sendMail']>[0]) {
    const transport = createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      name: 'mx.sender.test',
    });
    try {
      return await transport.sendMail(mail);
    } finally {
      transport.close();
    }
  }

  beforeAll(async () => {
    requireSynapse();
    const { smtpPort } = requireMail();
    alice = await registerUser(uniqueLocalpart('alice'));
    port = await freePort();
    bridge = await startBridge({
      connectors: [new EmailConnector({ dnsResolver: resolver }) as AnyConnector],
      bridges: {
        email: {
          enabled: true,
          max_mail_bytes: 64 * 1024,
          direct: {
            domain: 'bridge.test',
            host: '127.0.0.1',
            port,
            name: 'Team',
            smtp: { host: '127.0.0.1', port: smtpPort, tls: 'none' },
            rooms: { [room]: { invite: [alice.userId] } },
          },
        },
      },
    });
    roomId = await joinAlias(alice, `#email_${room}:localhost`);
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('a DKIM-signed mail from a domain whose SPF and DMARC pass lands in the room, shown as verified', async () => {
    const info = await deliver({
      from: '"Carol Signed" <carol@signed.test>',
      replyTo: 'bob@localhost',
      to,
      subject: `Signed hello ${t}`,
      text: `This one is signed ${t}`,
      dkim: { domainName: 'signed.test', keySelector: 'sel', privateKey: DKIM_PRIVATE },
    });
    signedId = info.messageId;
    const root = await seen((e) => body(e).includes(`This one is signed ${t}`), 'the signed mail');
    signedEventId = root.event_id;
    expect(root.sender).toBe('@email_carol=40signed.test:localhost');
    const lines = body(root).split('\n');
    expect(lines[0]).toBe(`Signed hello ${t}`);
    expect(lines[2]).toBe('✅ Sender verified: DKIM pass (signed.test) · SPF pass · DMARC pass');
    expect(String(root.content.formatted_body)).toContain('<em>✅ Sender verified');
  });

  it('an unsigned mail from a domain without records lands, shown as not verified', async () => {
    await deliver({
      from: 'dave@unsigned.test',
      to: `${room}+hello@bridge.test`,
      subject: `Unsigned hello ${t}`,
      text: `This one is not signed ${t}`,
    });
    const root = await seen((e) => body(e).includes(`This one is not signed ${t}`), 'the mail');
    expect(root.sender).toBe('@email_dave=40unsigned.test:localhost');
    expect(body(root).split('\n')[2]).toBe(
      '⚠️ Sender not verified: DKIM none · SPF none · DMARC none',
    );
  });

  it('a mail failing DMARC under p=reject, an unknown recipient and a too-large mail are refused by SMTP', async () => {
    await expect(
      deliver({ from: 'ceo@strict.test', to, subject: `Spoofed ${t}`, text: `Pay now ${t}` }),
    ).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/DMARC/) });
    await expect(
      deliver({ from: 'dave@unsigned.test', to: `nobody${t}@bridge.test`, text: 'hello' }),
    ).rejects.toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    await expect(
      deliver({ from: 'dave@unsigned.test', to: `${room}@elsewhere.test`, text: 'hello' }),
    ).rejects.toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    await expect(
      deliver({
        from: 'dave@unsigned.test',
        to,
        subject: `Huge ${t}`,
        text: `Huge ${t} ${'x'.repeat(100 * 1024)}`,
      }),
    ).rejects.toMatchObject({ responseCode: 552 });
    // A later mail arrives; none of the refused ones came before it.
    await deliver({ from: 'dave@unsigned.test', to, subject: `After ${t}`, text: `After ${t}` });
    await seen((e) => body(e).includes(`After ${t}`), 'the mail after the refused ones');
    const events = await roomEvents(alice, roomId, 200);
    expect(events.filter((e) => /Pay now|Huge /.test(body(e)))).toEqual([]);
  });

  it('an answer in the thread goes out from the room address to the sender (Reply-To), threaded', async () => {
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: `Thanks for signing ${t}`,
      'm.relates_to': { rel_type: 'm.thread', event_id: signedEventId, is_falling_back: true },
    });
    const mail = await waitForMail(
      'bob',
      (m) => (m.text ?? '').includes(`Thanks for signing ${t}`),
      'the answer',
    );
    expect(mail.from?.value[0]?.address).toBe(to);
    expect(mail.from?.value[0]?.name).toMatch(/\(via Team\)$/);
    expect(mail.subject).toBe(`Re: Signed hello ${t}`);
    expect(mail.inReplyTo).toBe(signedId);
    expect(
      relation(await seen((e) => body(e) === `Thanks for signing ${t}`, 'the answer')),
    ).toMatchObject({
      rel_type: 'm.thread',
    });
  });
});
