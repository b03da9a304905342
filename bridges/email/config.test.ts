import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emailConfigSchema, passwordOf } from './config.js';

const mailbox = (over: Record<string, unknown> = {}) => ({
  address: 'team@example.org',
  imap: { host: 'imap.example.org', user: 'team', password: 'pw' },
  folders: [{ folder: 'INBOX' }],
  ...over,
});
const problems = (config: unknown) => {
  const r = emailConfigSchema.safeParse(config);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('email config', () => {
  it('takes a minimal mailbox with safe defaults (TLS on, checks on, read-only without smtp)', () => {
    const c = emailConfigSchema.parse({ mailboxes: { team: mailbox() } });
    expect(c.mailboxes.team?.imap).toMatchObject({ port: 993, tls: 'implicit' });
    expect(c.mailboxes.team?.smtp).toBeUndefined();
    expect(c.first_start_backfill).toBe(0);
  });

  it('names the key and the fix', () => {
    expect(problems({ mailboxes: { Team: mailbox() } })).toEqual([
      'mailboxes.Team: mailbox id "Team" must be 1 to 32 of a-z 0-9 -',
    ]);
    expect(problems({ mailboxes: { t: mailbox({ address: 'nope' }) } })).toEqual([
      'mailboxes.t.address: must be an email address (name@domain)',
    ]);
    expect(problems({ mailboxes: { t: mailbox({ imap: { host: 'h', user: 'u' } }) } })).toEqual([
      'mailboxes.t.imap: imap needs user and password (or password_file)',
    ]);
    expect(problems({ mailboxes: { t: mailbox({ folders: [] }) } })).toEqual([
      'mailboxes.t.folders: must list at least one folder to watch',
    ]);
    expect(
      problems({
        mailboxes: { t: mailbox({ imap: { host: 'h', user: 'u', password: 'p', tls: 'yes' } }) },
      }),
    ).toEqual(['mailboxes.t.imap.tls: must be implicit, starttls or none']);
    expect(
      problems({ mailboxes: { t: mailbox({ folders: [{ folder: 'INBOX', room: '#a:b' }] }) } })[0],
    ).toMatch(/room: must be a room id/);
  });

  it('reads a password file (without its newline) and checks a CA file at load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'email-config-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'ca.pem'), 'not a certificate');
    const imap = { host: 'h', user: 'u', password_file: join(dir, 'pw') };
    const c = emailConfigSchema.parse({ mailboxes: { t: mailbox({ imap }) } });
    expect(passwordOf(c.mailboxes.t!.imap)).toBe('s3cret');
    expect(
      problems({
        mailboxes: { t: mailbox({ imap: { ...imap, ca_file: join(dir, 'ca.pem') } }) },
      })[0],
    ).toMatch(/holds no PEM certificate/);
    expect(
      problems({
        mailboxes: { t: mailbox({ imap: { ...imap, password_file: join(dir, 'missing') } }) },
      })[0],
    ).toMatch(/cannot read/);
  });

  it('takes the direct mode with its defaults and names its mistakes', () => {
    const c = emailConfigSchema.parse({
      direct: { domain: 'Mail.Example.org', rooms: { team: {} } },
    });
    expect(c.direct).toMatchObject({
      domain: 'mail.example.org',
      host: '0.0.0.0',
      port: 25,
      dmarc_reject: true,
    });
    expect(c.direct?.rooms.team).toMatchObject({ join_rule: 'invite', allow_senders: [] });
    expect(problems({ direct: { domain: 'not a domain', rooms: {} } })).toEqual([
      'direct.domain: must be a domain name (mail.example.org)',
    ]);
    expect(problems({ direct: { domain: 'm.example.org', rooms: { 'Team A': {} } } })[0]).toMatch(
      /^direct.rooms.Team A: room address "Team A" must be a lowercase local part/,
    );
    expect(
      problems({
        mailboxes: { team: mailbox() },
        direct: { domain: 'm.example.org', rooms: { team: {} } },
      }),
    ).toEqual([
      'direct.rooms.team: "team" is a mailbox id too: both would be #email_team; rename one',
    ]);
    expect(
      problems({ direct: { domain: 'm.example.org', tls_key_file: '/k', rooms: {} } }),
    ).toEqual(['direct: give both tls_cert_file and tls_key_file (or neither)']);
  });
});
