import { describe, expect, it } from 'vitest';
import { portalKey, remoteUserId, type KeyValueStore } from '../../src/connector.js';
import { CallStore } from './call-store.js';

const memoryKv = (): KeyValueStore => {
  const map = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => map.get(k) as T | undefined,
    set: async (k, v) => void map.set(k, structuredClone(v)),
    delete: async (k) => void map.delete(k),
  };
};

describe('call store', () => {
  it('keeps the calls in progress for the next start (a crash), and hands them over once', async () => {
    const kv = memoryKv();
    const first = new CallStore(kv);
    const call = { portal: portalKey('@a:x +15551234'), party: remoteUserId('+15551234') };
    void first.add('c1', call);
    void first.add('c2', call);
    await first.remove('c1');
    // A new run on the same store (the first one crashed without removing c2).
    const next = new CallStore(kv);
    expect(await next.takeLeftOver()).toEqual({ c2: call });
    expect(await next.takeLeftOver()).toEqual({});
  });
});
