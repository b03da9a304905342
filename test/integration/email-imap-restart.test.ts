// The email bridge when Dovecot itself restarts under it, against real Dovecot + OpenSMTPD and
// Synapse: the bridge sits in IMAP IDLE, Dovecot is stopped (the server closes the connection),
// a mail lands in the folder while Dovecot is down (written into the Maildir, as a local delivery
// agent does), Dovecot starts again, more mail comes over LMTP: each mail is bridged once, in order.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, type RoomEvent } from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  imapUser,
  requireMail,
  sendMail,
  startEmailBridge,
  tag,
} from '../support/mail-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const run = promisify(execFile);
const MAIL_SH = fileURLToPath(new URL('../peers/mail.sh', import.meta.url));
const body = (e: RoomEvent) => String(e.content.body ?? '');

/** mail.sh stop-dovecot | start-dovecot, on the run's own state folder and ports. */
async function dovecot(action: 'stop-dovecot' | 'start-dovecot'): Promise<void> {
  const peersDir = process.env.SWITCHBOARD_TEST_PEERS_DIR;
  if (!peersDir) throw new Error('SWITCHBOARD_TEST_PEERS_DIR is not set: run `npm test`');
  const { imapPort, lmtpPort, smtpPort, imapsPort } = requireMail();
  await run('bash', [MAIL_SH, action], {
    env: {
      ...process.env,
      PEERS_DIR: peersDir,
      MAIL_IMAP_PORT: String(imapPort),
      MAIL_LMTP_PORT: String(lmtpPort),
      MAIL_SMTP_PORT: String(smtpPort),
      MAIL_IMAPS_PORT: String(imapsPort),
    },
    timeout: 30_000,
  });
}

/** A mail put straight into a Maildir folder of `bridge` (as a local delivery agent does). */
async function intoMaildir(folder: string, raw: string): Promise<void> {
  const dir = process.env.SWITCHBOARD_TEST_MAIL_DIR;
  if (!dir) throw new Error('SWITCHBOARD_TEST_MAIL_DIR is not set: run `npm test`');
  const file = join(
    dir,
    'bridge',
    'Maildir',
    `.${folder}`,
    'new',
    `${Math.floor(Date.now() / 1000)}.M${randomBytes(4).toString('hex')}P${process.pid}.localhost`,
  );
  await writeFile(file, raw, { mode: 0o644 });
  // Dovecot runs as `mail` (uid and gid 8 on Debian): the file is its to move to cur/.
  await chown(file, 8, 8).catch(() => undefined);
}

describe('email bridge: Dovecot restarted mid-IDLE (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const mailboxId = `r${t}`;
  const folder = `restart${t}`;
  const to = `bridge+${folder}@localhost`;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;
  let dovecotDown = false;

  const mine = async () =>
    (await roomEvents(alice, roomId, 300)).filter((e) => body(e).includes(`#${t}`));
  const seen = (n: string, timeoutMs = 20_000) =>
    waitFor(
      async () => (await mine()).find((e) => body(e).includes(`mail ${n} `)),
      timeoutMs,
      `mail ${n} in the room`,
      150,
    );
  const deliver = (n: string) =>
    sendMail(
      { from: 'bob@localhost', to, subject: `Mail ${n}`, text: `mail ${n} #${t}` },
      { lmtp: true },
    );

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
    bridge = await startEmailBridge({
      [mailboxId]: bridgeMailbox([{ folder, invite: [alice.userId] }]),
    });
    roomId = await joinAlias(alice, `#email_${mailboxId}:localhost`);
  });

  afterAll(async () => {
    // Never leave the run without its IMAP server.
    if (dovecotDown) await dovecot('start-dovecot');
    await bridge?.stop();
  });

  it('mail delivered while Dovecot is down and after it is back is bridged once each, in order', async () => {
    await deliver('1');
    await seen('1');
    // Back in IDLE on its connection (the bridge idles again once the sync is done).
    await new Promise((r) => setTimeout(r, 1500));

    dovecotDown = true;
    await dovecot('stop-dovecot');
    await intoMaildir(
      folder,
      [
        'From: Bob <bob@localhost>',
        `To: ${to}`,
        'Subject: Mail 2',
        `Message-ID: <restart-2-${t}@localhost>`,
        `Date: ${new Date().toUTCString()}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        `mail 2 #${t}`,
        '',
      ].join('\r\n'),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await mine()).filter((e) => body(e).includes('mail 2 '))).toEqual([]);
    await dovecot('start-dovecot');
    dovecotDown = false;
    // Dovecot gives mail 2 its UID when it first looks at the folder: now, before mail 3 comes.
    const look = await imapUser('bridge');
    await look.status(folder, { messages: true });
    await look.logout();

    await deliver('3'); // at once: the bridge may not have reconnected yet
    await seen('3', 40_000);
    await deliver('4'); // IDLE works on the new connection
    await seen('4');
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      (await mine()).map((e) => /mail (\d) /.exec(body(e))?.[1]).filter(Boolean),
      'each once, in order',
    ).toEqual(['1', '2', '3', '4']);
  });
});
