// `email login` (Dovecot + OpenSMTPD + Synapse): a Matrix user logs in to their own mailbox with a
// bot command; a wrong password is refused with the server's reason; the command's event is
// redacted either way; their INBOX becomes a room of theirs, mail to them lands there and their
// answers go out from their address; the login survives a restart (mail that came meanwhile is
// bridged); `email logout` ends it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailConnector } from '../../bridges/email/index.js';
import type { AnyConnector } from '../../src/core/bridge-runtime.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  roomEvents,
  sendAs,
  sendText,
  startBridge,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { requireMail, sendMail, tag, waitForMail } from '../support/mail-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const BOT = '@switchboard:localhost';
const body = (e: RoomEvent) => String(e.content.body ?? '');

describe('email bridge: `email login` to a user’s own mailbox (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const database = join(mkdtempSync(join(tmpdir(), 'sb-email-login-')), 'switchboard.db');
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let dm: string;
  let inbox: string;

  const start = () => {
    const { imapPort, smtpPort } = requireMail();
    return startBridge({
      database,
      connectors: [new EmailConnector() as AnyConnector],
      bridges: {
        email: {
          enabled: true,
          bounce_wait_ms: 0,
          logins: {
            imap: { host: '127.0.0.1', port: imapPort, tls: 'none' },
            smtp: { host: '127.0.0.1', port: smtpPort, tls: 'none' },
            username: 'localpart',
            domains: ['localhost'],
          },
        },
      },
    });
  };
  const events = (room: string) => roomEvents(alice, room, 200);
  const command = async (text: string): Promise<{ eventId: string; reply: string }> => {
    const eventId = await sendText(alice, dm, text);
    const reply = await waitFor(
      async () => {
        const all = await events(dm);
        const i = all.findIndex((e) => e.event_id === eventId);
        return i < 0
          ? undefined
          : all
              .slice(i + 1)
              .find(
                (e) =>
                  e.sender === BOT &&
                  e.type === 'm.room.message' &&
                  body(e) !== '' &&
                  !body(e).startsWith('Hello! I am the bridge bot'),
              );
      },
      20_000,
      `the bot's answer to a command`,
    );
    return { eventId, reply: body(reply) };
  };
  const seen = (match: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await events(inbox)).find(match), 20_000, what, 150);

  beforeAll(async () => {
    requireSynapse();
    alice = await registerUser(uniqueLocalpart('alice'));
    bridge = await start();
    dm = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        is_direct: true,
        invite: [BOT],
        preset: 'trusted_private_chat',
      })
    ).room_id;
    await waitFor(
      async () => (await events(dm)).some((e) => e.sender === BOT && e.type === 'm.room.message'),
      15_000,
      'the bot to greet',
    );
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('a wrong password is refused with the reason; the command with it is redacted', async () => {
    const { eventId, reply } = await command(`email login alice@localhost wrong${t}`);
    expect(reply).toMatch(/^Not logged in: the mail server refused the login/);
    expect(reply).toContain('I redacted your message');
    expect(reply).not.toContain(`wrong${t}`);
    const redacted = (await events(dm)).find((e) => e.event_id === eventId);
    expect(redacted?.content.body, 'the password is gone from the room').toBeUndefined();
    expect((await command('email whoami')).reply).toBe('You are not logged in to a mailbox.');
  });

  it('logged in, the user’s INBOX is a room of theirs: mail lands there, answers go out from their address', async () => {
    const { reply } = await command('email login alice@localhost alicepw');
    const room = /your mail is in (!\S+?) \(I invited you\)/.exec(reply)?.[1];
    expect(reply, reply).toMatch(/^Logged in as alice@localhost/);
    inbox = room!;
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(inbox)}`, {});
    await sendMail(
      { from: 'bob@localhost', to: 'alice@localhost', subject: `For Alice ${t}`, text: `hi ${t}` },
      { lmtp: true },
    );
    const root = await seen((e) => body(e).includes(`For Alice ${t}`), 'the mail');
    expect(root.sender).toBe('@email_bob=40localhost:localhost');
    await sendAs(alice, inbox, {
      msgtype: 'm.text',
      body: `Answer from Alice ${t}`,
      'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id, is_falling_back: true },
    });
    const answer = await waitForMail(
      'bob',
      (m) => (m.text ?? '').includes(`Answer from Alice ${t}`),
      'the answer',
    );
    expect(answer.from?.value[0]?.address).toBe('alice@localhost');
    expect(answer.subject).toBe(`Re: For Alice ${t}`);
    expect((await command('email whoami')).reply).toBe('You are logged in as alice@localhost.');
  });

  it('the login survives a restart: mail that came meanwhile is bridged; logout ends it', async () => {
    await bridge!.stop();
    bridge = undefined;
    await sendMail(
      { from: 'bob@localhost', to: 'alice@localhost', subject: `While down ${t}`, text: 'x' },
      { lmtp: true },
    );
    bridge = await start();
    await seen((e) => body(e).includes(`While down ${t}`), 'the mail that came while down');
    expect((await command('email logout')).reply).toBe(
      'Logged out of alice@localhost; I forgot your password.',
    );
    await sendMail(
      { from: 'bob@localhost', to: 'alice@localhost', subject: `After logout ${t}`, text: 'x' },
      { lmtp: true },
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect((await events(inbox)).filter((e) => body(e).includes(`After logout ${t}`))).toEqual([]);
    expect((await command('email whoami')).reply).toBe('You are not logged in to a mailbox.');
  });
});
