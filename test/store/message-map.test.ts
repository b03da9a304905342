import { expect, it } from 'vitest';
import { describeStore } from './dialects.js';

describeStore('message map', (store) => {
  const irc = {
    bridge: 'irc',
    portalKey: '#rust',
    remoteId: 'r1',
    roomId: '!r:hs',
    eventId: '$e1',
  };

  it('finds a mapping by Matrix event and by remote id', async () => {
    expect(await store().messages.byEvent('irc', '$e1')).toBeUndefined();
    await store().messages.add(irc);
    await store().messages.add({ ...irc, bridge: 'xmpp', remoteId: 'x1', eventId: '$e2' });
    expect(await store().messages.byEvent('irc', '$e1')).toEqual(irc);
    expect(await store().messages.byRemote('irc', '#rust', 'r1')).toEqual(irc);
    expect(await store().messages.byEvent('xmpp', '$e2')).toMatchObject({ remoteId: 'x1' });
  });

  it('keeps bridges and portals apart', async () => {
    await store().messages.add(irc);
    expect(await store().messages.byEvent('xmpp', '$e1')).toBeUndefined();
    expect(await store().messages.byRemote('irc', '#other', 'r1')).toBeUndefined();
    expect(await store().messages.byRemote('xmpp', '#rust', 'r1')).toBeUndefined();
    // The same remote id in another portal is another message.
    const other = { ...irc, portalKey: '#other', eventId: '$e9' };
    await store().messages.add(other);
    expect(await store().messages.byRemote('irc', '#other', 'r1')).toEqual(other);
  });

  it('ignores a second mapping for the same remote message', async () => {
    await store().messages.add(irc);
    await store().messages.add({ ...irc, eventId: '$later' });
    expect(await store().messages.byRemote('irc', '#rust', 'r1')).toEqual(irc);
    expect(await store().messages.byEvent('irc', '$later')).toBeUndefined();
  });

  it("finds a sent event's mapping while the outbox is still committing it, and after", async () => {
    const entry = await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{}' });
    const committed = store().outbox.complete(entry.id, irc);
    // Asked before the commit: the room's next event (an edit of this message) must find it.
    const [byRemote, byEvent] = await Promise.all([
      store().messages.byRemote('irc', '#rust', 'r1'),
      store().messages.byEvent('irc', '$e1'),
    ]);
    expect(byRemote).toEqual(irc);
    expect(byEvent).toEqual(irc);
    await committed;
    expect(await store().messages.byRemote('irc', '#rust', 'r1')).toEqual(irc);
    expect(await store().outbox.pending()).toEqual([]);
  });

  it('finds a mapping while its add is still committing, and after', async () => {
    const committed = store().messages.add(irc);
    // Asked before the commit: the room's next event (an edit of the message) must find it.
    const [byRemote, byEvent] = await Promise.all([
      store().messages.byRemote('irc', '#rust', 'r1'),
      store().messages.byEvent('irc', '$e1'),
    ]);
    expect(byRemote).toEqual(irc);
    expect(byEvent).toEqual(irc);
    await committed;
    expect(await store().messages.byEvent('irc', '$e1')).toEqual(irc);
  });

  it('answers the same remote id of an event with several, while they commit and after', async () => {
    // IRC: a sent line is mapped as `m:<event>`, then the server's echo adds its `msgid:`.
    const own = { ...irc, remoteId: 'm:$e1' };
    const echo = { ...irc, remoteId: 'msgid:abc' };
    const both = [store().messages.add(own), store().messages.add(echo)];
    expect(await store().messages.byEvent('irc', '$e1')).toEqual(own); // both still committing
    await Promise.all(both);
    expect(await store().messages.byEvent('irc', '$e1')).toEqual(own);

    const later = { ...irc, eventId: '$e2', remoteId: 'm:$e2' };
    await store().messages.add(later); // committed first, then the msgid still committing
    const committing = store().messages.add({ ...later, remoteId: 'msgid:def' });
    expect(await store().messages.byEvent('irc', '$e2')).toEqual(later);
    await committing;

    // Held in the other order too.
    const third = { ...irc, eventId: '$e3', remoteId: 'msgid:ghi' };
    const reversed = [
      store().messages.add(third),
      store().messages.add({ ...third, remoteId: 'm:$e3' }),
    ];
    expect(await store().messages.byEvent('irc', '$e3')).toMatchObject({ remoteId: 'm:$e3' });
    await Promise.all(reversed);
  });

  it('forgets a mapping on remove, in that bridge only', async () => {
    await store().messages.add(irc);
    await store().messages.add({ ...irc, bridge: 'xmpp' });
    await store().messages.remove('irc', '$e1');
    expect(await store().messages.byEvent('irc', '$e1')).toBeUndefined();
    expect(await store().messages.byRemote('irc', '#rust', 'r1')).toBeUndefined();
    expect(await store().messages.byEvent('xmpp', '$e1')).toEqual({ ...irc, bridge: 'xmpp' });
  });
});
