import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/connector.js';
import { ChannelKeys, channelKeysKey, rememberChannelKey } from './channel-keys.js';

function memoryKv(): KeyValueStore {
  const data = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => data.get(key) as T | undefined,
    set: async (key, value) => void data.set(key, structuredClone(value)),
    delete: async (key) => void data.delete(key),
  };
}

describe('ChannelKeys', () => {
  it('remembers keys per network and lowercased channel; the config key wins for its channel', async () => {
    const kv = memoryKv();
    await rememberChannelKey(kv, 'libera', '#Secret', 'one');
    await rememberChannelKey(kv, 'libera', '#other', 'two');
    await rememberChannelKey(kv, 'oftc', '#secret', 'three');
    expect(await kv.get(channelKeysKey('libera'))).toEqual({ '#secret': 'one', '#other': 'two' });
    const keys = new ChannelKeys(
      'libera',
      { channel_keys: { '#other': 'from-config' } },
      kv,
      pino({ level: 'silent' }),
    );
    expect(await keys.keyOf('#SECRET')).toBe('one');
    expect(await keys.keyOf('#other')).toBe('from-config');
    expect(await keys.keyOf('#none')).toBeUndefined();
  });
});
