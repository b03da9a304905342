import { expect, it, vi } from 'vitest';
import { describeStore } from './dialects.js';

describeStore('portals', (store) => {
  it('upserts: inserts, then updates the room and metadata but keeps createdAt', async () => {
    expect(await store().portals.get('irc', '#rust')).toBeUndefined();
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000);
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#rust',
      roomId: '!a:hs',
      metadata: '{"topic":"x"}',
    });
    expect(await store().portals.get('irc', '#rust')).toEqual({
      bridge: 'irc',
      portalKey: '#rust',
      roomId: '!a:hs',
      metadata: '{"topic":"x"}',
      createdAt: 1_000,
    });
    now.mockReturnValue(2_000);
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#rust',
      roomId: '!b:hs',
      metadata: '{}',
    });
    expect(await store().portals.get('irc', '#rust')).toEqual({
      bridge: 'irc',
      portalKey: '#rust',
      roomId: '!b:hs',
      metadata: '{}',
      createdAt: 1_000,
    });
    expect(await store().portals.list()).toHaveLength(1);
    now.mockRestore();
  });

  it('finds every portal linked to a room, across bridges', async () => {
    await store().portals.upsert({
      bridge: 'xmpp',
      portalKey: 'rust@muc',
      roomId: '!shared:hs',
      metadata: '{}',
    });
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#rust',
      roomId: '!shared:hs',
      metadata: '{}',
    });
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#go',
      roomId: '!go:hs',
      metadata: '{}',
    });
    const linked = await store().portals.byRoom('!shared:hs');
    expect(linked.map((p) => [p.bridge, p.portalKey])).toEqual([
      ['irc', '#rust'],
      ['xmpp', 'rust@muc'],
    ]);
    expect(await store().portals.byRoom('!none:hs')).toEqual([]);
  });

  it('lists all portals or one bridge’s, and deletes', async () => {
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#b',
      roomId: '!b:hs',
      metadata: '{}',
    });
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#a',
      roomId: '!a:hs',
      metadata: '{}',
    });
    await store().portals.upsert({
      bridge: 'xmpp',
      portalKey: 'c@muc',
      roomId: '!c:hs',
      metadata: '{}',
    });
    expect((await store().portals.list()).map((p) => p.portalKey)).toEqual(['#a', '#b', 'c@muc']);
    expect((await store().portals.list('irc')).map((p) => p.portalKey)).toEqual(['#a', '#b']);
    expect(await store().portals.list('discord')).toEqual([]);
    expect(await store().portals.delete('irc', '#a')).toBe(true);
    expect(await store().portals.delete('irc', '#a')).toBe(false);
    expect((await store().portals.list()).map((p) => p.portalKey)).toEqual(['#b', 'c@muc']);
  });
});
