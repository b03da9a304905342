/** Ghosts: the Matrix users that stand for remote users, with their profiles. */
import type { GhostProfile, RemoteUserId } from '../connector.js';
import type { Intent, IntentCache } from '../matrix/intent.js';
import type { Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';

export class GhostDirectory {
  /** Ghosts whose row and profile are known to be current in this process. */
  private readonly current = new Set<string>();
  /** Per ghost, how many times its profile was set in this process (to spot one set meanwhile). */
  private readonly profileSets = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly intents: IntentCache,
  ) {}

  /** The ghost's intent, registered and wearing its latest profile. */
  async intentFor(runtime: BridgeRuntime, remote: RemoteUserId): Promise<Intent> {
    const userId = runtime.ghostUserId(remote);
    const intent = this.intents.intentFor(userId);
    if (this.current.has(userId)) return intent;
    const sets = this.profileSets.get(userId);
    let row = await this.store.ghosts.get(userId);
    if (row?.registered) intent.markRegistered();
    await intent.ensureRegistered();
    if (!row?.registered) {
      // Read again: a profile set while the ghost registered is kept, not overwritten.
      row = await this.store.ghosts.get(userId);
      await this.store.ghosts.upsert({
        userId,
        bridge: runtime.id,
        remoteId: remote,
        displayName: row?.displayName ?? null,
        avatarUrl: row?.avatarUrl ?? null,
        registered: true,
      });
    }
    // Until the bridge names it, a ghost shows its remote id rather than its escaped localpart.
    await intent.setDisplayName(row?.displayName ?? remote);
    if (row?.avatarUrl) await intent.setAvatarUrl(row.avatarUrl);
    // A profile set meanwhile is applied at the ghost's next act.
    if (this.profileSets.get(userId) === sets) this.current.add(userId);
    return intent;
  }

  async setProfile(
    runtime: BridgeRuntime,
    remote: RemoteUserId,
    profile: GhostProfile,
  ): Promise<void> {
    const userId = runtime.ghostUserId(remote);
    const row = await this.store.ghosts.get(userId);
    const displayName = profile.displayName ?? row?.displayName ?? null;
    const avatarUrl = profile.avatarUrl ?? row?.avatarUrl ?? null;
    if (row && row.displayName === displayName && row.avatarUrl === avatarUrl) return;
    await this.store.ghosts.upsert({
      userId,
      bridge: runtime.id,
      remoteId: remote,
      displayName,
      avatarUrl,
      registered: row?.registered ?? false,
    });
    this.profileSets.set(userId, (this.profileSets.get(userId) ?? 0) + 1);
    this.current.delete(userId); // applied the next time the ghost acts
  }
}
