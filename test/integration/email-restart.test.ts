// The email bridge across restarts, against real Dovecot + OpenSMTPD and Synapse: mail that comes
// while the bridge is down is bridged when it starts again, in order, and nothing is bridged twice;
// mail waiting in the folder before the folder was ever watched is not (first_start_backfill 0).
// A folder whose UIDVALIDITY changed (rebuilt by the server) is not bridged again: Message-ID dedupe.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, type RoomEvent } from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  imapUser,
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

const body = (e: RoomEvent) => String(e.content.body ?? '');

describe('email bridge restarts (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const mailboxId = `r${t}`;
  const folder = `restart${t}`;
  const to = `bridge+${folder}@localhost`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-email-')), 'switchboard.db');
  const mailboxes = () => ({ [mailboxId]: bridgeMailbox([{ folder, invite: [alice.userId] }]) });
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;

  const texts = async () =>
    (await roomEvents(alice, roomId, 300)).map(body).filter((b) => b.includes(`#${t}`));
  /** Waits until the room shows `expected` (in order) and nothing else of this test. */
  const roomShows = async (expected: string[]) => {
    await waitFor(
      async () =>
        expected.every(async (e) => (await texts()).some((b) => b.includes(e))) &&
        (await texts()).filter((b) => expected.some((e) => b.includes(e))).length >=
          expected.length,
      30_000,
      `the room to show ${JSON.stringify(expected)}`,
      200,
    );
    await new Promise((r) => setTimeout(r, 1500)); // anything doubled would come now
    const shown = await texts();
    expect(
      shown.map((b) => expected.find((e) => b.includes(e)) ?? `unexpected: ${b}`),
      'each mail once, in order',
    ).toEqual(expected);
  };
  const mail = (n: string) =>
    sendMail(
      { from: 'bob@localhost', to, subject: `Mail ${n}`, text: `mail ${n} #${t}` },
      { lmtp: true },
    );

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('bridges mail that came while it was down on start, in order, and nothing twice', async () => {
    await mail('before-first-start'); // in the folder before it was ever watched: not bridged
    await new Promise((r) => setTimeout(r, 500));
    bridge = await startEmailBridge(mailboxes(), { database });
    roomId = await joinAlias(alice, `#email_${mailboxId}:localhost`);
    await mail('1');
    await roomShows(['mail 1 ']);

    await bridge.stop();
    bridge = undefined;
    await mail('2');
    await mail('3');
    await mail('4');
    await new Promise((r) => setTimeout(r, 500));
    bridge = await startEmailBridge(mailboxes(), { database });
    await roomShows(['mail 1 ', 'mail 2 ', 'mail 3 ', 'mail 4 ']);
    await mail('5'); // and IDLE works again after the restart
    await roomShows(['mail 1 ', 'mail 2 ', 'mail 3 ', 'mail 4 ', 'mail 5 ']);
  });

  it('a UIDVALIDITY change does not bridge the folder again; new mail still comes', async () => {
    await bridge?.stop();
    bridge = undefined;
    // Rebuild the folder as a server might: Dovecot gives a new UIDVALIDITY when its index and
    // uidlist go (the mail files stay). The mails keep their Message-IDs.
    const before = await uidValidity();
    const mailDir = process.env.SWITCHBOARD_TEST_MAIL_DIR;
    if (!mailDir) throw new Error('SWITCHBOARD_TEST_MAIL_DIR is unset: run `npm test`');
    const maildir = join(mailDir, 'bridge', 'Maildir', `.${folder}`);
    for (const f of readdirSync(maildir))
      if (f.startsWith('dovecot')) rmSync(join(maildir, f), { force: true });
    expect(await uidValidity(), 'the folder has a new UIDVALIDITY').not.toBe(before);
    await mail('6');
    await new Promise((r) => setTimeout(r, 500));
    bridge = await startEmailBridge(mailboxes(), { database });
    await roomShows(['mail 1 ', 'mail 2 ', 'mail 3 ', 'mail 4 ', 'mail 5 ', 'mail 6 ']);
  });

  const uidValidity = async () => {
    const client = await imapUser('bridge');
    try {
      return String((await client.mailboxOpen(folder)).uidValidity);
    } finally {
      await client.logout();
    }
  };
});
