// Channel keys at rest: sealed in the kv (never the key itself), plain ones of older versions
// sealed at start without losing one, and a value that cannot be opened logged by channel (never
// by value), counted as no key and kept.
import { describe, expect, it } from 'vitest';
import { capturedLog, jsonKv, standInSealer } from '../../../test/support/stand-in-secrets.js';
import { ChannelKeyStore, plainKeysKey, sealedKeysKey } from './key-store.js';

describe('ChannelKeyStore', () => {
  it('stores keys sealed per network and lowercased channel; the config key wins for its channel', async () => {
    const kv = jsonKv();
    const secrets = standInSealer();
    const { log, lines } = capturedLog();
    const libera = await ChannelKeyStore.open(
      'libera',
      { '#other': 'from-config' },
      {
        kv,
        secrets,
        log,
      },
    );
    await libera.remember('#Secret', 'open-sesame');
    await libera.remember('#other', 'two');
    const oftc = await ChannelKeyStore.open('oftc', undefined, { kv, secrets, log });
    await oftc.remember('#secret', 'three');

    const stored = kv.raw.get(sealedKeysKey('libera'))!;
    expect(Object.keys(JSON.parse(stored) as object).sort()).toEqual(['#other', '#secret']);
    expect(stored).not.toContain('open-sesame');
    expect(stored).not.toContain('"two"');
    expect(kv.raw.has(plainKeysKey('libera'))).toBe(false);

    // After a restart (the same secret key file), from the store alone.
    const again = await ChannelKeyStore.open(
      'libera',
      { '#other': 'from-config' },
      {
        kv,
        secrets,
        log,
      },
    );
    expect(again.keyOf('#SECRET')).toBe('open-sesame');
    expect(again.keyOf('#other')).toBe('from-config');
    expect(again.keyOf('#none')).toBeUndefined();
    expect(
      (await ChannelKeyStore.open('oftc', undefined, { kv, secrets, log })).keyOf('#secret'),
    ).toBe('three');
    expect(lines.join('')).not.toMatch(/open-sesame|three/);
  });

  it('seals the plain keys of an older version at start and deletes them; a sealed key wins', async () => {
    const kv = jsonKv();
    const secrets = standInSealer();
    const { log, lines } = capturedLog();
    const before = await ChannelKeyStore.open('libera', undefined, { kv, secrets, log });
    await before.remember('#both', 'sealed-newer');
    await kv.set(plainKeysKey('libera'), { '#old': 'legacy-key', '#both': 'plain-older' });

    const store = await ChannelKeyStore.open('libera', undefined, { kv, secrets, log });
    expect(store.keyOf('#old')).toBe('legacy-key');
    expect(store.keyOf('#both')).toBe('sealed-newer');
    expect(kv.raw.has(plainKeysKey('libera'))).toBe(false);
    const stored = kv.raw.get(sealedKeysKey('libera'))!;
    expect(Object.keys(JSON.parse(stored) as object).sort()).toEqual(['#both', '#old']);
    expect(stored).not.toContain('legacy-key');
    expect(lines.join('')).not.toMatch(/legacy-key|plain-older|sealed-newer/);

    const restarted = await ChannelKeyStore.open('libera', undefined, { kv, secrets, log });
    expect(restarted.keyOf('#old')).toBe('legacy-key');
  });

  it('counts a key sealed with another secret key as unknown, logs its channel only, and keeps it', async () => {
    const kv = jsonKv();
    const { log, lines } = capturedLog();
    const oldSecrets = standInSealer();
    const old = await ChannelKeyStore.open('libera', undefined, { kv, secrets: oldSecrets, log });
    await old.remember('#lost', 'old-secret');

    const store = await ChannelKeyStore.open('libera', undefined, {
      kv,
      secrets: standInSealer(), // the secret key file changed
      log,
    });
    expect(store.keyOf('#lost')).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('#lost');
    expect(lines[0]).toContain('could not be opened');
    expect(lines[0]).not.toContain('old-secret');

    // Another key remembered meanwhile keeps the unreadable one, which opens with its key again.
    await store.remember('#new', 'new-secret');
    const back = await ChannelKeyStore.open('libera', undefined, { kv, secrets: oldSecrets, log });
    expect(back.keyOf('#lost')).toBe('old-secret');
  });
});
