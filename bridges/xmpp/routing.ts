/**
 * Where a Matrix user's stanzas for a portal go (a chat from their address, a MUC from their
 * occupant, a private chat through the MUC, a gateway room to each XMPP user in it), and what
 * the Matrix → XMPP handlers (messages/from-matrix.ts) are given: built once per start.
 */
import {
  BridgeError,
  type BridgeContext,
  type MatrixSender,
  type PortalKey,
} from '../../src/connector.js';
import type { XmppConfig } from './config.js';
import type { ComponentLink } from './connection/connection.js';
import type { Gateway } from './gateway/gateway.js';
import { matrixUserJid, parsePortal, safeJid } from './ids.js';
import type { FromMatrixDeps, Route } from './messages/from-matrix.js';
import type { ReactionSets } from './messages/reactions.js';
import type { Mucs } from './muc/muc.js';

export interface Routing {
  ctx: BridgeContext<XmppConfig>;
  link: ComponentLink;
  reactions: ReactionSets;
  mucs: Mucs;
  gateway: Gateway;
}

/** The route of `sender`'s stanzas to `portal`, or a BridgeError saying why there is none. */
export async function routeOf(r: Routing, portal: PortalKey, sender: MatrixSender): Promise<Route> {
  const { ctx } = r;
  const where = parsePortal(portal);
  const own = matrixUserJid(sender.userId, ctx.config.domain);
  if (!own)
    throw new BridgeError(
      'rejected',
      'your Matrix id has capitals or characters XMPP addresses cannot carry, so you have no XMPP address',
    );
  if (where?.kind === 'dm') {
    if (where.owner !== sender.userId)
      throw new BridgeError(
        'rejected',
        `only ${where.owner} speaks in this chat with ${where.contact}`,
      );
    return {
      type: 'chat',
      from: `${own}/${ctx.config.resource}`,
      to: where.contact,
      ref: (id) => id,
      original: (id) => id,
    };
  }
  if (where?.kind === 'muc') return r.mucs.route(where.room, sender);
  if (where?.kind === 'private') {
    if (where.owner !== sender.userId)
      throw new BridgeError('rejected', `only ${where.owner} speaks in this private chat`);
    return r.mucs.privates.route(where.room, where.owner, where.nick);
  }
  if (where?.kind === 'gateway') return r.gateway.route(where.target, sender);
  throw new BridgeError('unknown-target', 'this room is not bridged to XMPP');
}

/** The Matrix → XMPP handlers' dependencies (built once per start, not per event). */
export function fromMatrixDeps(r: Routing): FromMatrixDeps {
  const { ctx, link, gateway } = r;
  return {
    link: {
      // Stanzas to a gateway room go to each XMPP user in it.
      send: (el) => {
        const target = gateway.targetOf(el.attrs.to);
        return target ? gateway.send(el, target) : link.send(el);
      },
    },
    reactions: r.reactions,
    route: (portal, sender) => routeOf(r, portal, sender),
    publicLink: (target) => ctx.publicLink(target),
    naming: {
      mentionName: (userId) => {
        const remote = ctx.ghostRemoteId(userId);
        if (!remote) return '';
        const j = safeJid(remote);
        return j?.resource || j?.local || remote;
      },
    },
  };
}
