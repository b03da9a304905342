import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/connector.js';
import { LastSeen } from './last-seen.js';

describe('last seen ids', () => {
  it('keeps the newest id, writes at most once per interval, and everything at flush', async () => {
    const writes: [string, unknown][] = [];
    const m = new Map<string, unknown>();
    const kv: KeyValueStore = {
      get: async <T>(k: string) => m.get(k) as T | undefined,
      set: async (k, v) => void (writes.push([k, v]), m.set(k, v)),
      delete: async (k) => void m.delete(k),
    };
    const seen = new LastSeen(kv, 50);
    await seen.set('111111111111111111', '200000000000000000');
    await seen.set('111111111111111111', '300000000000000000');
    await seen.set('111111111111111111', '250000000000000000'); // older: ignored
    expect(await seen.get('111111111111111111')).toBe('300000000000000000');
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 120));
    expect(writes).toEqual([['last:111111111111111111', '300000000000000000']]);
    await seen.set('111111111111111111', '400000000000000000');
    await seen.flush();
    expect(m.get('last:111111111111111111')).toBe('400000000000000000');
    expect(await new LastSeen(kv).get('111111111111111111')).toBe('400000000000000000');
  });
});
