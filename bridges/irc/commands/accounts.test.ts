// Stored IRC logins: sealed in the kv (no plaintext), opened at start, and a value that cannot be
// opened is skipped with a warning that names the user and holds no secret, and is kept.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KeyValueStore, SecretSealer } from '../../../src/connector.js';
import { accountsKey, IrcAccounts } from './accounts.js';
import type { IrcNetwork } from '../connection/client.js';
import type { SaslAccount } from '../connection/connection.js';

function memoryKv(): KeyValueStore & { raw: Map<string, string> } {
  const raw = new Map<string, string>();
  return {
    raw,
    get: async <T>(key: string) => {
      const v = raw.get(key);
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    set: async (key, value) => void raw.set(key, JSON.stringify(value)),
    delete: async (key) => void raw.delete(key),
  };
}

/**
 * A stand-in for core's sealer (ctx.secrets), keyed like it: text sealed by one instance opens only
 * in that one, and the sealed form holds no plaintext. Core's own AES-GCM is tested with core.
 */
const sealer = (): SecretSealer => {
  const key = randomBytes(32);
  const id = key.subarray(0, 4).toString('hex');
  const mask = (bytes: Buffer) => Buffer.from(bytes.map((b, i) => b ^ key[i % key.length]!));
  return {
    seal: (text) => `v1.${id}.${mask(Buffer.from(text, 'utf8')).toString('base64url')}`,
    unseal: (sealed) => {
      const [v, keyId, body] = sealed.split('.');
      if (v !== 'v1' || keyId !== id || body === undefined)
        throw new Error('a sealed secret could not be opened (another secret key, or changed)');
      return mask(Buffer.from(body, 'base64url')).toString('utf8');
    },
  };
};

/** What of IrcNetwork the accounts use. */
const network = () =>
  ({ id: 'libera', accounts: new Map<string, SaslAccount>() }) as unknown as IrcNetwork;

function capture() {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }),
  );
  return { lines, log };
}

const alice = { account: 'alice', password: 'correct horse' };

describe('IrcAccounts', () => {
  it('stores logins sealed and opens them again at start', async () => {
    const kv = memoryKv();
    const secrets = sealer();
    const { log } = capture();
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
    const kv = memoryKv();
    const { log, lines } = capture();
    const old = new IrcAccounts({ kv, secrets: sealer(), log });
    await old.load(network());
    await old.save('libera', '@alice:hs', alice);

    const secrets = sealer(); // the secret key file changed
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
