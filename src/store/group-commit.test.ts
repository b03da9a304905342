import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';

describe('group commit (SQLite)', () => {
  it('stores concurrent writes, each resolved after its own commit', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'sb-gc-')), 'gc.db'));
    const entries = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        store.outbox.add({ bridge: 'b', roomId: `!r${i % 7}:x`, json: `{"n":${i}}` }),
      ),
    );
    expect(new Set(entries.map((e) => e.id)).size).toBe(300);
    expect((await store.outbox.pending()).map((e) => e.json)).toEqual(entries.map((e) => e.json));
    await store.close();
  });

  it('rejects only the failing write of a group', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'sb-gc-')), 'gc.db'));
    const good = store.outbox.add({ bridge: 'b', roomId: '!r:x', json: '{}' });
    // NOT NULL violation inside the same group as the good write.
    const bad = store.outbox.add({ bridge: 'b', roomId: null as unknown as string, json: '{}' });
    const alsoGood = store.messages.add({
      bridge: 'b',
      portalKey: 'p',
      remoteId: 'r1',
      roomId: '!r:x',
      eventId: '$e',
    });
    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toMatchObject({ roomId: '!r:x' });
    await expect(alsoGood).resolves.toBeUndefined();
    expect(await store.messages.byRemote('b', 'p', 'r1')).toMatchObject({ eventId: '$e' });
    expect(await store.outbox.pending()).toHaveLength(1);
    await store.close();
  });

  it('takes writes queued while a group resolves (no write is left waiting)', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'sb-gc-')), 'gc.db'));
    let chain = Promise.resolve();
    for (let i = 0; i < 50; i++)
      chain = chain.then(() =>
        store.outbox.add({ bridge: 'b', roomId: '!r:x', json: `${i}` }).then(() => undefined),
      );
    await chain;
    expect(await store.outbox.pending()).toHaveLength(50);
    await store.close();
  });
});
