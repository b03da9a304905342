// Ghost profiles: a profile set while the ghost registers (its first act) is neither overwritten
// by the registration's write nor skipped at the ghost's next act.
import { describe, expect, it } from 'vitest';
import type { RemoteUserId } from '../connector.js';
import type { IntentCache } from '../matrix/intent.js';
import type { GhostRow, Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import { GhostDirectory } from './ghosts.js';

function setUp() {
  const rows = new Map<string, GhostRow>();
  const avatars: string[] = [];
  let registering: (() => Promise<void>) | undefined;
  const intent = {
    markRegistered: () => undefined,
    ensureRegistered: async () => {
      const during = registering;
      registering = undefined;
      await during?.();
    },
    setDisplayName: async () => undefined,
    setAvatarUrl: async (mxc: string) => void avatars.push(mxc),
  };
  const store = {
    ghosts: {
      get: async (id: string) => rows.get(id),
      upsert: async (row: GhostRow) => void rows.set(row.userId, { ...row }),
    },
  } as unknown as Store;
  const ghosts = new GhostDirectory(store, { intentFor: () => intent } as unknown as IntentCache);
  const runtime = {
    id: 'net',
    ghostUserId: (r: string) => `@net_${r}:x`,
  } as unknown as BridgeRuntime;
  return { ghosts, runtime, rows, avatars, during: (f: () => Promise<void>) => (registering = f) };
}

describe('ghost profiles', () => {
  it('an avatar set while the ghost registers is kept and worn at its next act', async () => {
    const t = setUp();
    const carl = 'carl' as RemoteUserId;
    t.during(() => t.ghosts.setProfile(t.runtime, carl, { avatarUrl: 'mxc://x/a' }));
    await t.ghosts.intentFor(t.runtime, carl);
    expect(t.rows.get('@net_carl:x')).toMatchObject({ avatarUrl: 'mxc://x/a', registered: true });
    await t.ghosts.intentFor(t.runtime, carl);
    expect(t.avatars).toContain('mxc://x/a');
  });
});
