import { expect, it } from 'vitest';
import { describeStore } from './dialects.js';

describeStore('outbox', (store) => {
  it('keeps entries in id order until completed', async () => {
    const a = await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{"n":1}' });
    const b = await store().outbox.add({ bridge: 'xmpp', roomId: '!r:hs', json: '{"n":2}' });
    const c = await store().outbox.add({ bridge: 'irc', roomId: '!s:hs', json: '{"n":3}' });
    expect(a).toEqual({
      id: expect.any(Number),
      bridge: 'irc',
      roomId: '!r:hs',
      json: '{"n":1}',
      attempts: 0,
    });
    expect(a.id).toBeLessThan(b.id);
    expect(b.id).toBeLessThan(c.id);
    expect(await store().outbox.pending()).toEqual([a, b, c]);

    await store().outbox.complete(b.id);
    expect(await store().outbox.pending()).toEqual([a, c]);
    // Completing twice (a retry after a crash) is harmless.
    await store().outbox.complete(b.id);
    expect(await store().outbox.pending()).toEqual([a, c]);
  });

  it("keeps a bridge's ref with its entry, for the event's outcome after a restart", async () => {
    const a = await store().outbox.add({ bridge: 'xmpp', roomId: '!r:hs', json: '{}', ref: 'r1' });
    const b = await store().outbox.add({ bridge: 'xmpp', roomId: '!r:hs', json: '{}' });
    expect(a.ref).toBe('r1');
    expect(await store().outbox.pending()).toEqual([a, b]);
    expect((await store().outbox.pending())[1]).not.toHaveProperty('ref');
  });

  it('counts attempts and keeps the entry', async () => {
    const a = await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{}' });
    await store().outbox.recordAttempt(a.id, '502 Bad Gateway');
    await store().outbox.recordAttempt(a.id, 'timeout');
    expect(await store().outbox.pending()).toEqual([{ ...a, attempts: 2 }]);
  });

  it('records the message mapping in the same step as completing', async () => {
    const a = await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{}' });
    const mapping = {
      bridge: 'irc',
      portalKey: '#rust',
      remoteId: 'm1',
      roomId: '!r:hs',
      eventId: '$e1',
    };
    await store().outbox.complete(a.id, mapping);
    expect(await store().outbox.pending()).toEqual([]);
    expect(await store().messages.byRemote('irc', '#rust', 'm1')).toEqual(mapping);
    expect(await store().messages.byEvent('irc', '$e1')).toEqual(mapping);

    // The same remote message again keeps its first mapping instead of failing.
    const b = await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{}' });
    await store().outbox.complete(b.id, { ...mapping, eventId: '$e2' });
    expect(await store().outbox.pending()).toEqual([]);
    expect(await store().messages.byRemote('irc', '#rust', 'm1')).toEqual(mapping);
  });
});
