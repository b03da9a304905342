import { describe, expect, it } from 'vitest';
import type { KeyValueStore, SecretSealer } from '../../../src/connector.js';
import { emailConfigSchema } from '../config.js';
import { LoginStore, loginName, userMailbox, userMailboxId } from './logins.js';

const kv = (): KeyValueStore & { data: Map<string, unknown> } => {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async <T>(k: string) => data.get(k) as T | undefined,
    set: async (k, v) => void data.set(k, structuredClone(v)),
    delete: async (k) => void data.delete(k),
  };
};
const sealer: SecretSealer = {
  seal: (p) => `sealed:${Buffer.from(p).toString('base64')}`,
  unseal: (s) => {
    if (!s.startsWith('sealed:')) throw new Error('not sealed here');
    return Buffer.from(s.slice(7), 'base64').toString();
  },
};

describe('email login', () => {
  it('stores the password sealed, never as typed, and forgets it at logout', async () => {
    const store = kv();
    const logins = new LoginStore(store, sealer);
    await logins.save('@alice:x', 'alice@example.org', 'hunter2');
    expect(JSON.stringify([...store.data.values()])).not.toContain('hunter2');
    expect(await logins.get('@alice:x')).toEqual({
      address: 'alice@example.org',
      password: 'hunter2',
    });
    expect(await logins.users()).toEqual(['@alice:x']);
    await logins.remove('@alice:x');
    expect(await logins.get('@alice:x')).toBeUndefined();
    expect(await logins.users()).toEqual([]);
    expect(JSON.stringify([...store.data.values()])).not.toContain('alice@example.org');
  });

  it("makes the user's mailbox on the configured server, rooms invite-only for them", () => {
    const logins = emailConfigSchema.parse({
      logins: { imap: { host: 'imap.example.org' }, username: 'localpart' },
    }).logins!;
    expect(loginName(logins, 'alice@example.org')).toBe('alice');
    const mailbox = userMailbox(logins, '@alice:x', 'alice@example.org', 'pw');
    expect(mailbox.imap).toMatchObject({
      host: 'imap.example.org',
      port: 993,
      user: 'alice',
      password: 'pw',
    });
    expect(mailbox.smtp).toBeUndefined();
    expect(mailbox.folders).toEqual([
      { folder: 'INBOX', join_rule: 'invite', invite: ['@alice:x'], to: [] },
    ]);
    expect(userMailboxId('@alice:x')).toMatch(/^u[0-9a-f]{20}$/);
    expect(userMailboxId('@alice:x')).not.toBe(userMailboxId('@bob:x'));
  });
});
