// The state one run of the conformance kit shares between its tests: the running Switchboard (the
// restart test replaces it), the database it restarts on, and the Matrix user who talks in portals.
import { randomBytes } from 'node:crypto';
import type { Switchboard } from '../../src/core/switchboard.js';
import type { TestUser } from '../support/synapse.js';
import { homeserverCaughtUp } from '../support/homeserver-state.js';
import { PortalView } from './portal-view.js';
import type { ConformanceTarget } from './types.js';

export const DEFAULT_PATIENCE_MS = 20_000;

export class Kit {
  /** The running Switchboard; undefined while the restart test has it stopped. */
  sb?: Switchboard;
  database = '';
  user!: TestUser;
  botUserId = '';

  constructor(readonly target: ConformanceTarget) {}

  /**
   * Starts the bridge on the kit's database and waits until the homeserver has sent it what it
   * queued while the bridge was down (see homeserver.ts: events sent meanwhile can be stranded).
   */
  async start(): Promise<void> {
    this.sb = await this.target.start({ database: this.database });
    this.botUserId = this.sb.botUserId;
    await homeserverCaughtUp(60_000);
  }

  get switchboard(): Switchboard {
    if (!this.sb) throw new Error('the bridge is not running');
    return this.sb;
  }

  /**
   * A new portal for one test, so tests never read each other's messages: public, not public
   * (`call`), or a direct chat the user started with a ghost (`direct`).
   */
  async portal(kind: 'public' | 'call' | 'direct' = 'public'): Promise<PortalView> {
    const open = {
      public: this.target.openPortal,
      call: this.target.openCallPortal,
      direct: this.target.openDirectChat,
    }[kind];
    const roomId = await open!.call(this.target, this.user);
    return new PortalView(
      roomId,
      this.user,
      this.target.network,
      this.botUserId,
      this.target.patienceMs ?? DEFAULT_PATIENCE_MS,
    );
  }

  /** A short random tag that makes a test's texts unique on the network and in Matrix. */
  tag(): string {
    return randomBytes(4).toString('hex');
  }

  /** Whether `userId` is a ghost of one of the running bridges (a remote user in Matrix). */
  isGhost(userId: string): boolean {
    return [...this.switchboard.runtimes.values()].some((runtime) => runtime.ownsUser(userId));
  }
}
