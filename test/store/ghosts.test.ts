import { expect, it } from 'vitest';
import { describeStore } from './dialects.js';

describeStore('ghosts', (store) => {
  it('upserts a ghost and reads it back', async () => {
    expect(await store().ghosts.get('@irc_alice:hs')).toBeUndefined();
    const alice = {
      userId: '@irc_alice:hs',
      bridge: 'irc',
      remoteId: 'alice',
      displayName: null,
      avatarUrl: null,
      registered: false,
    };
    await store().ghosts.upsert(alice);
    expect(await store().ghosts.get('@irc_alice:hs')).toEqual(alice);

    const updated = { ...alice, displayName: 'Alice', avatarUrl: 'mxc://hs/a', registered: true };
    await store().ghosts.upsert(updated);
    expect(await store().ghosts.get('@irc_alice:hs')).toEqual(updated);

    await store().ghosts.upsert({ ...updated, displayName: null });
    expect(await store().ghosts.get('@irc_alice:hs')).toEqual({ ...updated, displayName: null });
  });
});
