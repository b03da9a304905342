/** What the XMPP bridge's parts share: core's context, the component connection, ordering. */
import type { BridgeContext, EmitOptions, RemoteEvent } from '../../src/connector.js';
import type { XmppConfig } from './config.js';
import type { ComponentLink } from './connection/connection.js';
import { KeyedChain } from './util/chain.js';
import type { GhostAvatars } from './avatars/ghost-avatars.js';
import type { AccountPresence } from './avatars/account-presence.js';
import type { MatrixProfiles } from './avatars/matrix-vcards.js';
import { OutcomeWaits } from './messages/outcomes.js';

export interface XmppDeps {
  ctx: BridgeContext<XmppConfig>;
  link: ComponentLink;
  /** Per portal: what is heard from XMPP reaches core in the order it was heard. */
  chain: KeyedChain;
  /**
   * `ctx.emit`, stored to survive a crash of the bridge (XMPP acknowledges nothing to a component);
   * `ref` (messages/outcomes.ts): what to do once Matrix took it or gave it up.
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

/** The parts' shared deps for a start of the bridge (avatars and profiles are set after). */
export function xmppDeps(ctx: BridgeContext<XmppConfig>, link: ComponentLink): XmppDeps {
  return {
    ctx,
    link,
    chain: new KeyedChain(),
    emit: (event, ref) => ctx.emit(event, emitOptions(ref)),
    post: (event, ref) =>
      void ctx
        .emit(event, emitOptions(ref))
        .catch((err: unknown) =>
          ctx.log.warn(
            { err, portal: event.portal, kind: event.kind },
            'an XMPP event was not bridged',
          ),
        ),
    waits: new OutcomeWaits(),
  };
}

/** XMPP acknowledges nothing to a component: a crash of the bridge must lose nothing, no more. */
const emitOptions = (ref: string | undefined): EmitOptions => ({
  survives: 'process-crash',
  ...(ref !== undefined ? { ref } : {}),
});

/** The server part of a Matrix user id. */
export const serverOf = (userId: string): string => userId.slice(userId.indexOf(':') + 1);
