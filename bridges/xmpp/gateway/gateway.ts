/**
 * The gateway direction: an XMPP user enters a Matrix room as a MUC on the component, at
 * `#room#server@<component>` for `#room:server` (ids.ts). The bridge bot joins the room (public
 * rooms only) and links it as the portal `gw/<alias>`; the XMPP user's ghost joins it and speaks
 * for them. Matrix members are occupants named by their display names: the first
 * `gateway.max_shown_members` (moderators first) at a join, the others when they speak or join,
 * so a room of thousands costs no presence flood. The room has no history (Matrix keeps it); its
 * subject is the topic. Sessions entering, renaming and leaving: gateway-sessions.ts; a message
 * that bounces removes the session.
 */
import { presencePhotoHash } from '../avatars/vcard.js';
import { xml, type Element } from '@xmpp/xml';
import type { MatrixUserId } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { GatewaySessions } from './gateway-sessions.js';
import { MODERATION_FEATURES } from './gateway-moderation.js';
import type { GwOccupant, GwRoom } from './gateway-room.js';
import { gatewayAlias, gatewayPortal, gatewayRoomJid, safeJid, xmppUser } from '../ids.js';
import type { ReactionSets } from '../messages/reactions.js';
import { buildError, cloneStanza, newId, NS, type ParsedMessage } from '../connection/stanzas.js';
import { eventsOf } from '../messages/to-matrix.js';
import { mediaFromLink } from '../messages/media.js';
import { bounceable, bounceRef } from '../outcomes.js';

const LONGEST_NICK = 256;

export class Gateway extends GatewaySessions {
  constructor(
    d: XmppDeps,
    private readonly reactions: ReactionSets,
  ) {
    super(d);
  }

  /** The Matrix alias a (bare or full) address on the component names, when it is a gateway room. */
  aliasOf(address: string | undefined): string | undefined {
    // A gateway room's local part starts with `#` (which XEP-0106 never escapes): every other
    // stanza is told apart without parsing its address (this runs for each one).
    if (!address?.startsWith('#') || !this.config.gateway.enabled) return undefined;
    const j = safeJid(address);
    return j ? gatewayAlias(j, this.config.domain) : undefined;
  }

  /** Rooms XMPP users are in now (disco#items of the component). */
  listed(): { jid: string; name: string }[] {
    return [...this.rooms.values()]
      .filter((r) => r.occupants.size > 0)
      .map((r) => ({ jid: gatewayRoomJid(r.alias, this.config.domain), name: r.name ?? r.alias }));
  }

  /** disco#info of a room address: a public, open, non-anonymous MUC. */
  discoInfo(alias: string): Element {
    const room = this.rooms.get(alias);
    return xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/disco#info' },
      xml('identity', { category: 'conference', type: 'text', name: room?.name ?? alias }),
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

  onPresence(el: Element, alias: string): void {
    const to = safeJid(el.attrs.to ?? '');
    const from = safeJid(el.attrs.from ?? '');
    if (!to || !from || !from.resource) return;
    const type = el.attrs.type;
    if (type !== undefined && type !== 'unavailable') return; // probes, subscriptions: none here
    const full = from.toString();
    void this.d.chain.run(
      gatewayPortal(alias),
      async () => {
        if (type === 'unavailable') return this.leave(alias, full, []);
        const nick = to.resource;
        if (!nick || nick.length > LONGEST_NICK || /[\x00-\x1f\x7f]/.test(nick)) {
          this.out(buildError(el, 'modify', 'jid-malformed', 'a nick is needed to enter the room'));
          return;
        }
        await this.join(el, alias, to.bare().toString(), nick, full);
      },
      (err) => {
        this.d.ctx.log.warn({ err, portal: gatewayPortal(alias) }, 'gateway presence failed');
        if (type !== 'unavailable')
          this.out(buildError(el, 'wait', 'remote-server-timeout', describe(err)));
      },
    );
    // Their avatar (XEP-0153: their vCard asked of their account) and presence, on their ghost.
    const bare = from.bare().toString();
    const src = {
      ghost: xmppUser(bare),
      portal: gatewayPortal(alias),
      from: this.d.link.domain,
      to: bare,
    };
    const hash = type === undefined ? presencePhotoHash(el) : undefined;
    if (hash !== undefined) this.d.avatars?.told(src, hash);
  }

  onMessage(el: Element, m: ParsedMessage, alias: string): void {
    const full = safeJid(m.from)?.toString();
    if (!full) return;
    void this.d.chain.run(
      gatewayPortal(alias),
      async () => {
        const room = this.rooms.get(alias);
        const o = room?.occupants.get(full);
        // A message that bounced: its session is gone (XEP-0045 §9.9 kicks it).
        if (m.type === 'error') return o ? this.leave(alias, full, ['333']) : undefined;
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
        for (const own of [m.id, m.originId]) if (own) room.ids.set(`${o.bare}\n${own}`, stanzaId);
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
        // What Matrix refuses for good bounces back to the sender (outcomes.ts).
        for (const e of events) await this.d.emit(e, bounceable(e) ? bounceRef(m) : undefined);
        // The room reflects the message to every occupant, its sender too, with its stanza-id.
        for (const p of room.occupants.values()) {
          const copy = cloneStanza(el);
          copy.attrs.from = `${p.roomJid}/${o.nick}`;
          copy.attrs.to = p.full;
          for (const sid of copy.getChildren('stanza-id', NS.sid)) copy.remove(sid);
          copy.append(xml('stanza-id', { xmlns: NS.sid, id: stanzaId, by: p.roomJid }));
          this.out(copy);
        }
      },
      (err) => this.d.ctx.log.warn({ err, portal: gatewayPortal(alias) }, 'gateway message failed'),
    );
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
