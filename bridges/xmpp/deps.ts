/** What the XMPP bridge's parts share: core's context, the component connection, ordering. */
import type { BridgeContext, RemoteEvent } from '../../src/connector.js';
import type { XmppConfig } from './config.js';
import type { ComponentLink } from './connection/connection.js';
import type { KeyedChain } from './chain.js';
import type { GhostAvatars } from './avatars/ghost-avatars.js';
import type { AccountPresence } from './avatars/account-presence.js';
import type { MatrixProfiles } from './avatars/matrix-vcards.js';
import type { OutcomeWaits } from './outcomes.js';

export interface XmppDeps {
  ctx: BridgeContext<XmppConfig>;
  link: ComponentLink;
  /** Per portal: what is heard from XMPP reaches core in the order it was heard. */
  chain: KeyedChain;
  /**
   * `ctx.emit`, stored to survive a crash of the bridge (XMPP acknowledges nothing to a component);
   * `ref` (outcomes.ts): what to do once Matrix took it or gave it up.
   */
  emit(event: RemoteEvent, ref?: string): Promise<void>;
  /**
   * `emit` without waiting until it is stored: core keeps emits in the order they were called,
   * and a burst that does not wait for each event's store write is stored in one commit (a
   * MUC's messages: waiting made one commit per message). A failure is logged.
   */
  post(event: RemoteEvent, ref?: string): void;
  /** Outcomes waited for in memory (a moderation iq's answer). */
  waits: OutcomeWaits;
  /** Ghosts' avatars and presence (avatars/ghost-avatars.ts), set once the connector is built. */
  avatars?: GhostAvatars;
  /** XMPP accounts' presence over their sessions (avatars/account-presence.ts), likewise. */
  accounts?: AccountPresence;
  /** Matrix users' names and avatars for XMPP (avatars/matrix-vcards.ts), likewise. */
  profiles?: MatrixProfiles;
}

/** The server part of a Matrix user id. */
export const serverOf = (userId: string): string => userId.slice(userId.indexOf(':') + 1);
