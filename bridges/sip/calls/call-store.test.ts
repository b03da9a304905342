import { describe, expect, it } from 'vitest';
import { portalKey, remoteUserId, type KeyValueStore } from '../../../src/connector.js';
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

  it('writes the changes made while a write is under way together, each resolved once written', async () => {
    const map = new Map<string, unknown>();
    const writes: string[][] = [];
    let release: () => void = () => undefined;
    const kv: KeyValueStore = {
      get: async <T>(k: string) => map.get(k) as T | undefined,
      set: async (k, v) => {
        writes.push(Object.keys(v as object));
        map.set(k, structuredClone(v));
        // The first write is slow (an fsync), the others quick.
        if (writes.length === 1) await new Promise<void>((r) => (release = r));
      },
      delete: async (k) => void map.delete(k),
    };
    const store = new CallStore(kv);
    const call = { portal: portalKey('@a:x +15551234'), party: remoteUserId('+15551234') };
    const done: string[] = [];
    const first = store.add('c0', call).then(() => done.push('c0'));
    await new Promise((r) => setTimeout(r, 5));
    const rest = Array.from({ length: 20 }, (_, i) =>
      store.add(`c${i + 1}`, call).then(() => done.push(`c${i + 1}`)),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toEqual([]); // the first write is not finished: nothing is told done
    release();
    await Promise.all([first, ...rest]);
    expect(writes).toHaveLength(2); // 21 calls, two writes
    expect(writes[1]).toHaveLength(21);
    expect(Object.keys(map.get('calls-in-progress') as object)).toHaveLength(21);
    await Promise.all(Array.from({ length: 21 }, (_, i) => store.remove(`c${i}`)));
    expect(map.get('calls-in-progress')).toEqual({});
    expect(writes.length).toBeLessThanOrEqual(4);
  });
});
