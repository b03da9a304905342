/**
 * The gateway direction: an XMPP user enters a Matrix room as a MUC on the component, at
 * `#room#server@<component>` for `#room:server` (ids.ts). The bridge bot joins the room (public
 * rooms only) and links it as the portal `gw/<alias>`; the XMPP user's ghost joins it and speaks
 * for them. Matrix members are occupants named by their display names: the first
 * `gateway.max_shown_members` (moderators first) at a join, the others when they speak or join,
 * so a room of thousands costs no presence flood. The room has no history (Matrix keeps it); its
 * subject is the topic. XMPP sessions in each room are kept in the bridge's store, so a restart
 * of the bridge is not noticed by them; a message that bounces removes the session.
 */
import { presencePhotoHash } from '../avatars/vcard.js';
import { xml, type Element } from '@xmpp/xml';
import { BridgeError, type MatrixUserId } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { GatewayMatrixSide } from './gateway-from-matrix.js';
import { MODERATION_FEATURES } from './gateway-moderation.js';
import { lookUpRoom } from './room-lookup.js';
import {
  firstShown,
  nickTaken,
  occupantPresence,
  subjectMessage,
  type GwOccupant,
  type GwRoom,
} from './gateway-room.js';
import { gatewayAlias, gatewayPortal, gatewayRoomJid, safeJid, xmppUser } from '../ids.js';
import type { ReactionSets } from '../messages/reactions.js';
import { buildError, cloneStanza, newId, NS, type ParsedMessage } from '../connection/stanzas.js';
import { eventsOf } from '../messages/to-matrix.js';
import { mediaFromLink } from '../messages/media.js';

const occupantsKey = (alias: string) => `gw/${alias}/occupants`;
const LONGEST_NICK = 256;

export class Gateway extends GatewayMatrixSide {
  private readonly loading = new Map<string, Promise<GwRoom>>();

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
        for (const e of events) await this.d.emit(e);
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

  private async join(
    el: Element,
    alias: string,
    roomJid: string,
    nick: string,
    full: string,
  ): Promise<void> {
    const { ctx } = this.d;
    let room: GwRoom;
    try {
      room = await this.load(alias);
    } catch (err) {
      const e = err instanceof BridgeError ? err : undefined;
      this.out(
        buildError(
          el,
          'cancel',
          e?.code === 'unknown-target' ? 'item-not-found' : 'forbidden',
          e?.userMessage ?? `the bridge could not enter ${alias}`,
        ),
      );
      if (!e) ctx.log.warn({ err, portal: gatewayPortal(alias) }, 'gateway room not entered');
      return;
    }
    const bare = safeJid(full)!.bare().toString();
    const existing = room.occupants.get(full);
    if (existing?.nick === nick) return; // a presence update (status, show): nothing to tell
    if (existing) return this.changeNick(el, room, existing, nick);
    if (nickTaken(room, nick, bare)) {
      this.out(buildError(el, 'cancel', 'conflict', 'that nick is taken in this room'));
      return;
    }
    const first = ![...room.occupants.values()].some((o) => o.bare === bare);
    const me: GwOccupant = { full, bare, nick, roomJid };
    if (first) {
      // The ghost joins before the user is told they are in, so what they say next is in order.
      await ctx.setGhostProfile(xmppUser(bare), { displayName: nick });
      await this.d.emit({
        kind: 'membership',
        membership: 'join',
        portal: room.key,
        sender: xmppUser(bare),
      });
    }
    room.occupants.set(full, me);
    await this.save(room);
    if (room.shown.size === 0)
      for (const u of firstShown(room, this.config.gateway.max_shown_members)) room.shown.add(u);
    for (const userId of room.shown) {
      const m = room.members.get(userId);
      if (m) this.out(occupantPresence({ from: `${roomJid}/${m.nick}`, to: full, level: m.level }));
    }
    for (const p of room.occupants.values()) {
      if (p.full === full) continue;
      const theirs = room.levels.get(p.bare) ?? 0;
      const mine = room.levels.get(bare) ?? 0;
      this.out(
        occupantPresence({ from: `${roomJid}/${p.nick}`, to: full, level: theirs, jid: p.full }),
      );
      this.out(
        occupantPresence({ from: `${p.roomJid}/${nick}`, to: p.full, level: mine, jid: full }),
      );
    }
    // 110: this is you; 100: everyone sees your address (Matrix shows your ghost's id);
    // 170: the room keeps its history (Matrix does).
    this.out(
      occupantPresence({
        from: `${roomJid}/${nick}`,
        to: full,
        level: room.levels.get(bare) ?? 0,
        jid: full,
        codes: ['100', '110', '170'],
      }),
    );
    this.out(subjectMessage(roomJid, full, room.topic ?? '', newId()));
    ctx.log.info({ portal: room.key, occupant: bare }, 'an XMPP user entered a Matrix room');
  }

  /**
   * A nick change inside the room (XEP-0045 §7.6): each occupant is told the old nick left with
   * 303 and the new one, and the user's ghost takes the new name in Matrix. A taken nick is a
   * conflict, and the user keeps theirs.
   */
  private async changeNick(el: Element, room: GwRoom, o: GwOccupant, nick: string) {
    if (nickTaken(room, nick, o.bare)) {
      this.out(buildError(el, 'cancel', 'conflict', 'that nick is taken in this room'));
      return;
    }
    const old = o.nick;
    o.nick = nick;
    await this.save(room);
    const level = room.levels.get(o.bare) ?? 0;
    for (const p of room.occupants.values()) {
      const self = p.full === o.full ? ['110'] : [];
      const gone = occupantPresence({
        from: `${p.roomJid}/${old}`,
        to: p.full,
        level,
        jid: o.full,
        unavailable: true,
        codes: ['303', ...self],
      });
      const item = gone.getChild('x', NS.mucUser)?.getChild('item');
      if (item) item.attrs.nick = nick;
      this.out(gone);
      this.out(
        occupantPresence({
          from: `${p.roomJid}/${nick}`,
          to: p.full,
          level,
          jid: o.full,
          codes: self,
        }),
      );
    }
    // The ghost is named by the nick of its sessions: the newest one's. It takes the name as it
    // acts (a join it has already: no event but the new name).
    const user = xmppUser(o.bare);
    await this.d.ctx.setGhostProfile(user, { displayName: nick });
    this.d.post({ kind: 'membership', membership: 'join', portal: room.key, sender: user });
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

  /** A session leaves (or was removed: `codes` 307 kicked, 301 banned, 333 gone). */
  protected async leave(alias: string, full: string, codes: string[], reason?: string) {
    const room = this.rooms.get(alias);
    const o = room?.occupants.get(full);
    if (!room || !o) return;
    room.occupants.delete(full);
    await this.save(room);
    const gone = { level: 0, unavailable: true, ...(reason ? { reason } : {}) };
    if (!codes.includes('333'))
      this.out(
        occupantPresence({
          ...gone,
          from: `${o.roomJid}/${o.nick}`,
          to: full,
          jid: full,
          codes: [...codes, '110'],
        }),
      );
    for (const p of room.occupants.values())
      this.out(
        occupantPresence({ ...gone, from: `${p.roomJid}/${o.nick}`, to: p.full, jid: full, codes }),
      );
    // A kick or ban took the ghost out already.
    const removed = codes.includes('307') || codes.includes('301');
    if (!removed && ![...room.occupants.values()].some((p) => p.bare === o.bare))
      await this.d.emit({
        kind: 'membership',
        membership: 'leave',
        portal: room.key,
        sender: xmppUser(o.bare),
      });
  }

  /** The room of an alias: looked up (the bot joins it) and linked the first time. */
  private load(alias: string): Promise<GwRoom> {
    const known = this.rooms.get(alias);
    if (known) return Promise.resolve(known);
    let pending = this.loading.get(alias);
    if (!pending) {
      pending = this.lookUp(alias).finally(() => this.loading.delete(alias));
      this.loading.set(alias, pending);
    }
    return pending;
  }

  private async lookUp(alias: string): Promise<GwRoom> {
    const room = await lookUpRoom(this.d.ctx, alias);
    this.rooms.set(alias, room);
    return room;
  }

  private async save(room: GwRoom): Promise<void> {
    await this.d.ctx.kv.set(occupantsKey(room.alias), [...room.occupants.values()]);
  }

  /** At start: the sessions that were in the room before the bridge stopped are in it still. */
  async linked(alias: string): Promise<void> {
    const stored = await this.d.ctx.kv.get<GwOccupant[]>(occupantsKey(alias));
    if (!stored?.length) return;
    let room: GwRoom;
    try {
      room = await this.load(alias);
    } catch (err) {
      this.unrestored.add(alias); // tried again when the room's next event comes (roomOf)
      throw err;
    }
    this.unrestored.delete(alias);
    for (const o of stored) room.occupants.set(o.full, o);
    room.shown.clear();
    for (const u of firstShown(room, this.config.gateway.max_shown_members)) room.shown.add(u);
  }
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
