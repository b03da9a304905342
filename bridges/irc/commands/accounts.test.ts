// Stored IRC logins: sealed in the kv (no plaintext), opened at start, and a value that cannot be
// opened is skipped with a warning that names the user and holds no secret, and is kept.
import { describe, expect, it } from 'vitest';
import { capturedLog, jsonKv, standInSealer } from '../../../test/support/stand-in-secrets.js';
import { accountsKey, IrcAccounts } from './accounts.js';
import type { IrcNetwork } from '../connection/client.js';
import type { SaslAccount } from '../connection/connection.js';

/** What of IrcNetwork the accounts use. */
const network = () =>
  ({ id: 'libera', accounts: new Map<string, SaslAccount>() }) as unknown as IrcNetwork;

const alice = { account: 'alice', password: 'correct horse' };

describe('IrcAccounts', () => {
  it('stores logins sealed and opens them again at start', async () => {
    const kv = jsonKv();
    const secrets = standInSealer();
    const { log } = capturedLog();
    const first = new IrcAccounts({ kv, secrets, log });
    await first.load(network());
    await first.save('libera', '@alice:hs', alice);
    await first.save('libera', '@bob:hs', { account: 'bob', password: 'hunter2' });
    const stored = kv.raw.get(accountsKey('libera'))!;
    expect(stored).not.toContain('correct horse');
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('"alice"');

    const n = network();
    await new IrcAccounts({ kv, secrets, log }).load(n);
    expect(n.accounts.get('@alice:hs')).toEqual(alice);
    expect(n.accounts.get('@bob:hs')).toEqual({ account: 'bob', password: 'hunter2' });

    await first.save('libera', '@bob:hs', undefined);
    const after = network();
    await new IrcAccounts({ kv, secrets, log }).load(after);
    expect([...after.accounts.keys()]).toEqual(['@alice:hs']);
  });

  it('skips a login sealed with another key, warns without the secret, and keeps it', async () => {
    const kv = jsonKv();
    const { log, lines } = capturedLog();
    const old = new IrcAccounts({ kv, secrets: standInSealer(), log });
    await old.load(network());
    await old.save('libera', '@alice:hs', alice);

    const secrets = standInSealer(); // the secret key file changed
    const accounts = new IrcAccounts({ kv, secrets, log });
    const n = network();
    await accounts.load(n);
    expect(n.accounts.size).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('@alice:hs');
    expect(lines[0]).toContain('could not be opened');
    expect(lines[0]).not.toContain('correct horse');

    await accounts.save('libera', '@bob:hs', { account: 'bob', password: 'hunter2' });
    const stored = JSON.parse(kv.raw.get(accountsKey('libera'))!) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['@alice:hs', '@bob:hs']);
  });
});
