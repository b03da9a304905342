/**
 * The sessions of XMPP users in gateway rooms (XEP-0045): entering (the ghost joins first), nick
 * changes, leaving; the room looked up and linked the first time one enters it; the sessions kept
 * in the bridge's store, so a restart of the bridge goes unnoticed by them (`linked`).
 */
import { BridgeError } from '../../../src/connector.js';
import { buildError, newId, NS } from '../connection/stanzas.js';
import { safeJid, xmppUser, gatewayPortal } from '../ids.js';
import { GatewayMatrixSide } from './gateway-from-matrix.js';
import {
  firstShown,
  nickTaken,
  occupantPresence,
  subjectMessage,
  type GwOccupant,
  type GwRoom,
} from './gateway-room.js';
import { lookUpRoom } from './room-lookup.js';
import { refusal } from './gateway-access.js';
import type { Element } from '@xmpp/xml';
import { kept } from '../util/kept.js';

const occupantsKey = (target: string) => `gw/${target}/occupants`;
/** Another address of a room entered before (`gw/<target>/room` → the room's first target). */
const sameRoomKey = (target: string) => `gw/${target}/room`;

export abstract class GatewaySessions extends GatewayMatrixSide {
  private readonly loading = new Map<string, Promise<GwRoom>>();

  protected async join(
    el: Element,
    target: string,
    roomJid: string,
    nick: string,
    full: string,
  ): Promise<void> {
    const { ctx } = this.d;
    const bare = safeJid(full)!.bare().toString();
    let room: GwRoom;
    try {
      room = await this.load(target, bare);
    } catch (err) {
      const e = err instanceof BridgeError ? err : undefined;
      const text = e?.userMessage ?? `the bridge could not enter ${target}`;
      if (e?.code === 'unknown-target') this.out(buildError(el, 'cancel', 'item-not-found', text));
      else if (e?.code === 'rejected')
        this.out(buildError(el, 'auth', 'registration-required', text));
      else this.out(buildError(el, 'cancel', 'forbidden', text));
      if (!e) ctx.log.warn({ err, portal: gatewayPortal(target) }, 'gateway room not entered');
      return;
    }
    const existing = room.occupants.get(full);
    if (existing?.nick === nick) return; // a presence update (status, show): nothing to tell
    if (existing) return this.changeNick(el, room, existing, nick);
    const denied = refusal(room, bare);
    if (denied) {
      this.out(buildError(el, denied.type, denied.condition, denied.text));
      return;
    }
    if (nickTaken(room, nick, bare)) {
      this.out(buildError(el, 'cancel', 'conflict', 'that nick is taken in this room'));
      return;
    }
    const first = ![...room.occupants.values()].some((o) => o.bare === bare);
    const me: GwOccupant = {
      full: kept(full),
      bare: kept(bare),
      nick: kept(nick),
      roomJid: kept(roomJid),
    };
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
    room.occupants.set(me.full, me);
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
    o.nick = kept(nick);
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

  /** A session leaves (or was removed: `codes` 307 kicked, 301 banned, 333 gone). */
  protected async leave(target: string, full: string, codes: string[], reason?: string) {
    const room = this.rooms.get(target);
    const o = room?.occupants.get(full);
    if (!room || !o) return;
    room.occupants.delete(full);
    await this.save(room);
    this.d.accounts?.heard(this.presenceSource(room, full), `${room.key}/${full}`, undefined);
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
    if (!removed && ![...room.occupants.values()].some((p) => p.bare === o.bare)) {
      // Back into a room that is not public takes a new invite (Matrix's rule).
      if (room.joinRule !== 'public') room.admitted.delete(o.bare);
      await this.d.emit({
        kind: 'membership',
        membership: 'leave',
        portal: room.key,
        sender: xmppUser(o.bare),
      });
    }
  }

  /** Where a session's presence goes: their ghost's, ordered after the room's events. */
  protected presenceSource(room: GwRoom, full: string) {
    const bare = safeJid(full)!.bare().toString();
    return { ghost: xmppUser(bare), portal: room.key, from: this.d.link.domain, to: bare };
  }

  /**
   * The room an alias or room id names: looked up (the bot joins it) and linked the first time.
   * A room entered before by another of its addresses is that room. `user` (a bare address) is
   * who enters: their ghost reads the room when the bot may not.
   */
  protected load(target: string, user?: string): Promise<GwRoom> {
    const known = this.rooms.get(target);
    if (known) return Promise.resolve(known);
    let pending = this.loading.get(target);
    if (!pending) {
      pending = this.lookUp(target, user).finally(() => this.loading.delete(target));
      this.loading.set(target, pending);
    }
    return pending;
  }

  private async lookUp(target: string, user?: string): Promise<GwRoom> {
    const found = await lookUpRoom(this.d.ctx, target, user);
    const room = [...this.rooms.values()].find((r) => r.roomId === found.roomId) ?? found;
    this.rooms.set(room.target, room);
    this.rooms.set(kept(target), room);
    if (target !== room.target) await this.d.ctx.kv.set(sameRoomKey(target), room.target);
    return room;
  }

  /**
   * The room an XMPP user's stanza names, by any address it was entered by (after a restart too:
   * the room's other addresses are kept in the store). Undefined when no one entered it.
   */
  protected async entered(target: string): Promise<GwRoom | undefined> {
    const known = this.rooms.get(target);
    if (known) return known;
    const first = await this.d.ctx.kv.get<string>(sameRoomKey(target));
    const room = first ? await this.roomOf(first) : undefined;
    if (room) this.rooms.set(kept(target), room);
    return room;
  }

  private async save(room: GwRoom): Promise<void> {
    await this.d.ctx.kv.set(occupantsKey(room.target), [...room.occupants.values()]);
  }

  /** At start: the sessions that were in the room before the bridge stopped are in it still. */
  async linked(target: string): Promise<void> {
    const stored = await this.d.ctx.kv.get<GwOccupant[]>(occupantsKey(target));
    if (!stored?.length) return;
    let room: GwRoom;
    try {
      // Read by one of them when the bot is not in the room (their ghost is).
      room = await this.load(target, stored[0]!.bare);
    } catch (err) {
      this.unrestored.add(target); // tried again when the room's next event comes (roomOf)
      throw err;
    }
    this.unrestored.delete(target);
    for (const o of stored) room.occupants.set(o.full, o);
    room.shown.clear();
    for (const u of firstShown(room, this.config.gateway.max_shown_members)) room.shown.add(u);
  }
}
