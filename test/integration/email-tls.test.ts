// The email bridge over TLS, against Dovecot's IMAPS (a self-signed certificate) and Synapse:
// certificate checks are on by default, so a mailbox that trusts the server's CA (`ca_file`) is
// bridged, and one that does not is never connected (the bridge keeps retrying, the room stays
// empty) — nothing turns the checks off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents } from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
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

describe('email bridge over IMAPS (Dovecot with a self-signed certificate + Synapse)', () => {
  const t = tag();
  const trusted = `tls${t}-ca`;
  const untrusted = `tls${t}-noca`;
  let bridge: Switchboard | undefined;
  let alice: TestUser;

  const mailbox = (folder: string, ca: boolean) => {
    const { imapsPort, ca: caFile } = requireMail();
    const base = bridgeMailbox([{ folder, invite: [alice.userId] }]);
    return {
      ...base,
      imap: {
        ...base.imap,
        host: 'localhost',
        port: imapsPort,
        tls: 'implicit',
        ...(ca ? { ca_file: caFile } : {}),
      },
    };
  };
  const body = (e: { content: Record<string, unknown> }) => String(e.content.body ?? '');

  beforeAll(async () => {
    requireSynapse();
    for (const f of [trusted, untrusted]) await createFolder('bridge', f);
    alice = await registerUser(uniqueLocalpart('alice'));
    bridge = await startEmailBridge({
      [trusted]: mailbox(trusted, true),
      [untrusted]: mailbox(untrusted, false),
    });
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('bridges the mailbox whose CA it trusts; never connects to the one it cannot verify', async () => {
    const okRoom = await joinAlias(alice, `#email_${trusted}:localhost`);
    const noRoom = await joinAlias(alice, `#email_${untrusted}:localhost`);
    for (const f of [trusted, untrusted])
      await sendMail(
        {
          from: 'bob@localhost',
          to: `bridge+${f}@localhost`,
          subject: `TLS ${f}`,
          text: `over TLS ${t}`,
        },
        { lmtp: true },
      );
    await waitFor(
      async () => (await roomEvents(alice, okRoom)).some((e) => body(e).includes(`over TLS ${t}`)),
      20_000,
      'the mail over verified TLS',
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(
      (await roomEvents(alice, noRoom)).filter((e) => body(e).includes(`over TLS ${t}`)),
    ).toEqual([]);
  });
});
