/**
 * A Matrix user invited one of this bridge's ghosts: the portal the room is to stand for — a
 * one-to-one chat with that XMPP user, a private chat through a MUC with an occupant's ghost
 * (muc/private.ts), or, invited to a room that is not a direct chat, the XMPP user entering it
 * through the gateway — or null (core makes the ghost decline).
 */
import type { GhostInvite, PortalKey } from '../../src/connector.js';
import type { XmppConfig } from './config.js';
import type { Gateway } from './gateway/gateway.js';
import { bareOf, dmPortal, matrixUserJid, mucPrivatePortal, safeJid } from './ids.js';
import type { Mucs } from './muc/muc.js';

export function ghostInvitePortal(
  config: Pick<XmppConfig, 'domain' | 'gateway'>,
  gateway: Pick<Gateway, 'invited'> | undefined,
  mucs: Pick<Mucs, 'isRoom'> | undefined,
  invite: GhostInvite,
): Promise<PortalKey | null> | PortalKey | null {
  const j = safeJid(invite.ghost);
  if (!j || !j.local || j.domain === config.domain) return null;
  if (!matrixUserJid(invite.inviter, config.domain)) return null;
  if (!j.resource && !invite.isDirect && gateway && config.gateway.enabled)
    return gateway.invited(invite, j.toString());
  if (!j.resource) return dmPortal(j.toString(), invite.inviter);
  const room = bareOf(j);
  return mucs?.isRoom(room) ? mucPrivatePortal(room, invite.inviter, j.resource) : null;
}
