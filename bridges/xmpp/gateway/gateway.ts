/**
 * The gateway direction: an XMPP user enters a Matrix room as a MUC on the component, at
 * `#room#server@<component>` for `#room:server`, or `!opaque#server@<component>` for a room id
 * (addresses.ts). The bridge bot joins the room and links it as the portal `gw/<target>` (who may
 * enter: gateway-access.ts); the XMPP user's ghost joins it and speaks for them. Matrix members are occupants named by their display names: the first
 * `gateway.max_shown_members` (moderators first) at a join, the others when they speak or join,
 * so a room of thousands costs no presence flood. The room has no history (Matrix keeps it); its
 * subject is the topic. Sessions entering, renaming and leaving: gateway-sessions.ts; a message
 * that bounces removes the session.
 */
import { presencePhotoHash } from '../avatars/vcard.js';
import { sessionOf } from '../avatars/account-presence.js';
import { xml, type Element } from '@xmpp/xml';
import type { EmitOutcome, GhostInvite, MatrixUserId, PortalKey } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { GatewaySessions } from './gateway-sessions.js';
import { MODERATION_FEATURES } from './gateway-moderation.js';
import type { GwOccupant, GwRoom } from './gateway-room.js';
import { gatewayPortal, matrixUserJid, safeJid, xmppUser } from '../ids.js';
import { gatewayRoomJid, gatewayTarget } from './addresses.js';
import type { ReactionSets } from '../messages/reactions.js';
import { buildError, cloneStanza, newId, NS, type ParsedMessage } from '../connection/stanzas.js';
import { eventsOf } from '../messages/to-matrix.js';
import { mediaFromLink } from '../messages/media.js';
import { bounce, type ReflectRef } from '../messages/outcomes.js';
import { stanzaOf } from '../connection/stanza-tree.js';
import { reflections, reflectRef } from './reflections.js';
import { kept } from '../util/kept.js';

const LONGEST_NICK = 256;

export class Gateway extends GatewaySessions {
  constructor(
    d: XmppDeps,
    private readonly reactions: ReactionSets,
  ) {
    super(d);
  }

  /**
   * The alias or room id a (bare or full) address on the component names, when it is a gateway
   * room.
   */
  targetOf(address: string | undefined): string | undefined {
    // A gateway room's local part starts with `#` or `!` (which XEP-0106 never escapes, and no
    // Matrix user's address does): every other stanza is told apart without parsing its address
    // (this runs for each one).
    if (!(address?.startsWith('#') || address?.startsWith('!'))) return undefined;
    if (!this.config.gateway.enabled) return undefined;
    const j = safeJid(address);
    return j ? gatewayTarget(j, this.config.domain) : undefined;
  }

  /**
   * A Matrix user invited an XMPP user's ghost to a room that is not a direct chat: the room is
   * theirs to enter through the gateway (linked as the portal of its room id; core makes the
   * ghost join), and they get a XEP-0249 invitation to its address from the inviter's.
   */
  invited(invite: GhostInvite, bare: string): PortalKey {
    const from = matrixUserJid(invite.inviter, this.config.domain);
    const jid = gatewayRoomJid(invite.roomId, this.config.domain);
    if (from)
      this.out(
        xml('message', { from, to: bare, id: newId() }, xml('x', { xmlns: NS.conference, jid })),
      );
    return gatewayPortal(invite.roomId);
  }

  /**
   * Rooms XMPP users are in now (disco#items of the component), each at an address that works:
   * its canonical alias's, else its room id's.
   */
  listed(): { jid: string; name: string }[] {
    return [...new Set(this.rooms.values())]
      .filter((r) => r.occupants.size > 0)
      .map((r) => {
        const address = r.canonicalAlias ?? r.roomId;
        return { jid: gatewayRoomJid(address, this.config.domain), name: r.name ?? address };
      });
  }

  /** disco#info of a room address: a public, open, non-anonymous MUC. */
  discoInfo(target: string): Element {
    const room = this.rooms.get(target);
    return xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/disco#info' },
      xml('identity', { category: 'conference', type: 'text', name: room?.name ?? target }),
      ...[
        'http://jabber.org/protocol/disco#info',
        NS.muc,
        'muc_public',
        'muc_open',
        'muc_nonanonymous',
        'muc_persistent',
        'muc_unmoderated',
        'muc_unsecured',
        NS.sid,
        ...MODERATION_FEATURES,
      ].map((f) => xml('feature', { var: f })),
    );
  }

  // ------------------------------------------------------------------ XMPP → Matrix

  onPresence(el: Element, target: string): void {
    const to = safeJid(el.attrs.to ?? '');
    const from = safeJid(el.attrs.from ?? '');
    if (!to || !from || !from.resource) return;
    const type = el.attrs.type;
    if (type !== undefined && type !== 'unavailable') return; // probes, subscriptions: none here
    const full = from.toString();
    void this.d.chain.run(
      gatewayPortal(target),
      async () => {
        if (type === 'unavailable') {
          const room = await this.entered(target);
          return room ? this.leave(room.target, full, []) : undefined;
        }
        const nick = to.resource;
        if (!nick || nick.length > LONGEST_NICK || /[\x00-\x1f\x7f]/.test(nick)) {
          this.out(buildError(el, 'modify', 'jid-malformed', 'a nick is needed to enter the room'));
          return;
        }
        await this.join(el, target, to.bare().toString(), nick, full);
        // Away, busy, back (`<show>`, `<status>`): their ghost's presence, once they are in.
        const room = this.rooms.get(target);
        if (room?.occupants.has(full))
          this.d.accounts?.heard(
            this.presenceSource(room, full),
            `${room.key}/${full}`,
            sessionOf(el),
          );
      },
      (err) => {
        this.d.ctx.log.warn({ err, portal: gatewayPortal(target) }, 'gateway presence failed');
        if (type !== 'unavailable')
          this.out(buildError(el, 'wait', 'remote-server-timeout', describe(err)));
      },
    );
    // Their avatar (XEP-0153: their vCard asked of their account), on their ghost.
    const bare = from.bare().toString();
    const src = {
      ghost: xmppUser(bare),
      portal: gatewayPortal(target),
      from: this.d.link.domain,
      to: bare,
    };
    const hash = type === undefined ? presencePhotoHash(el) : undefined;
    if (hash !== undefined) this.d.avatars?.told(src, hash);
  }

  onMessage(el: Element, m: ParsedMessage, target: string): void {
    const full = safeJid(m.from)?.toString();
    if (!full) return;
    void this.d.chain.run(
      gatewayPortal(target),
      async () => {
        const room = await this.entered(target);
        const o = room?.occupants.get(full);
        // A message that bounced: its session is gone (XEP-0045 §9.9 kicks it).
        if (m.type === 'error')
          return o && room ? this.leave(room.target, full, ['333']) : undefined;
        if (!room || !o) {
          this.out(buildError(el, 'cancel', 'not-acceptable', 'join the room first'));
          return;
        }
        const toNick = safeJid(m.to)?.resource;
        if (toNick) return this.privateMessage(el, m, room, o, toNick);
        if (m.type !== 'groupchat') {
          this.out(
            buildError(el, 'modify', 'bad-request', 'a message to the room is a groupchat one'),
          );
          return;
        }
        const stanzaId = newId();
        for (const own of [m.id, m.originId])
          if (own) room.ids.set(kept(`${o.bare}\n${own}`), stanzaId);
        const events = await eventsOf(
          m,
          {
            portal: room.key,
            sender: xmppUser(o.bare),
            id: stanzaId,
            ref: (id) => room.ids.get(`${o.bare}\n${id}`) ?? id,
          },
          this.reactions,
          (url) => mediaFromLink(this.d.ctx, url),
        );
        // What Matrix never sees (no event) is reflected at once; the rest once Matrix took its
        // last event (core settles a room's events in order), or bounced (reflections.ts).
        if (events.length === 0) return this.reflect(room, el, o.nick, stanzaId);
        const ref = reflectRef(el, m, room, o, stanzaId);
        const last = events.length - 1;
        for (const [i, e] of events.entries()) await this.d.emit(e, i === last ? ref : undefined);
      },
      (err) =>
        this.d.ctx.log.warn({ err, portal: gatewayPortal(target) }, 'gateway message failed'),
    );
  }

  /** Matrix took, or refused, an XMPP user's message to a room: reflected, or bounced to them. */
  reflectSettled(ref: ReflectRef, outcome: EmitOutcome): Promise<void> | void {
    if (!outcome.delivered) return this.d.link.send(bounce(ref, outcome));
    // Sent at once (the room's next outcome comes after): reflections keep the room's order.
    const room = this.rooms.get(ref.room);
    const reflect = (r: GwRoom) => {
      const nick = r.occupants.get(ref.to)?.nick ?? ref.nick; // they may have renamed since
      this.reflect(r, stanzaOf(ref.stanza), nick, ref.stanzaId);
    };
    if (room) return reflect(room);
    return this.roomOf(ref.room).then((r) => r && reflect(r));
  }

  private reflect(room: GwRoom, el: Element, nick: string, stanzaId: string): void {
    for (const copy of reflections(room, el, nick, stanzaId)) this.out(copy);
  }

  /**
   * A private message to an occupant (XEP-0045 §7.5): to another XMPP user in the room, it goes
   * to their sessions from the sender's occupant; to a Matrix member, it is a chat with that
   * Matrix user (their direct chat with the sender's ghost: answers come from their own
   * address on the component).
   */
  private privateMessage(el: Element, m: ParsedMessage, room: GwRoom, o: GwOccupant, to: string) {
    if (m.type === 'groupchat') {
      this.out(buildError(el, 'modify', 'bad-request', 'a groupchat message goes to the room'));
      return;
    }
    const sessions = [...room.occupants.values()].filter((p) => p.nick === to);
    if (sessions.length > 0) {
      for (const p of sessions) {
        const copy = cloneStanza(el);
        copy.attrs.from = `${p.roomJid}/${o.nick}`;
        copy.attrs.to = p.full;
        copy.attrs.type = 'chat';
        copy.append(xml('x', { xmlns: NS.mucUser }));
        this.out(copy);
      }
      return;
    }
    const member = [...room.members.entries()].find(([, mm]) => mm.nick === to)?.[0];
    if (!member || !this.privateToMatrix) {
      this.out(buildError(el, 'cancel', 'item-not-found', `no one is ${to} in this room`));
      return;
    }
    this.privateToMatrix(el, member);
  }

  /** Hands a private message to a Matrix member over to their direct chat (set by the connector). */
  privateToMatrix?: (el: Element, userId: MatrixUserId) => void;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
