/**
 * The gateway's Matrix side (gateway.ts has the XMPP side): what Matrix users do in a Matrix room
 * XMPP users are in reaches each XMPP session, from the sender's occupant: messages and the rest
 * (through `route` and `send`), members coming and going (shown lazily), power levels as
 * affiliations and roles, the topic as subject; moderation both ways (gateway-moderation.ts).
 */
import { xml, type Element } from '@xmpp/xml';
import type {
  EmitOutcome,
  MatrixMembership,
  MatrixPowerLevels,
  MatrixSender,
  MatrixTopic,
  MatrixUserId,
} from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { Route } from '../messages/from-matrix.js';
import { announce, lateAnswer, moderateFromXmpp, moderationDone } from './gateway-moderation.js';
import type { ModerationRef } from '../messages/outcomes.js';
import { memberNick, occupantPresence, subjectMessage, type GwRoom } from './gateway-room.js';
import { safeJid } from '../ids.js';
import { gatewayRoomJid } from './addresses.js';
import { cloneStanza, newId, NS } from '../connection/stanzas.js';

export abstract class GatewayMatrixSide {
  protected readonly rooms = new Map<string, GwRoom>();
  /** Rooms whose sessions could not be restored at start (the Matrix lookup failed). */
  protected readonly unrestored = new Set<string>();

  constructor(protected readonly d: XmppDeps) {}

  protected get config() {
    return this.d.ctx.config;
  }

  /** Restores the sessions a room had before the bridge stopped. */
  abstract linked(target: string): Promise<void>;

  /**
   * The room, its restore tried again first where it failed at start: dropping the room's events
   * instead would leave its XMPP users unknowingly deaf until they rejoined.
   */
  protected async roomOf(target: string): Promise<GwRoom | undefined> {
    if (this.unrestored.has(target)) await this.linked(target).catch(() => undefined);
    return this.rooms.get(target);
  }

  /** The room an XMPP user's stanza names, by any address it was entered by. */
  protected abstract entered(target: string): Promise<GwRoom | undefined>;

  /** A session leaves (or was removed: `codes` 307 kicked, 301 banned, 333 gone). */
  protected abstract leave(
    target: string,
    full: string,
    codes: string[],
    reason?: string,
  ): Promise<void>;

  /** Where a Matrix user's events go: from their occupant, to every XMPP session (`send`). */
  route(target: string, sender: MatrixSender): Route {
    const jid = gatewayRoomJid(target, this.config.domain);
    const room = this.rooms.get(target);
    let nick: string = sender.userId;
    if (room) {
      let m = room.members.get(sender.userId);
      if (!m) {
        m = { nick: memberNick(room, sender.userId, sender.displayName), level: 0 };
        room.members.set(sender.userId, m);
      }
      nick = m.nick;
    }
    return {
      type: 'groupchat',
      from: `${jid}/${nick}`,
      to: jid,
      ref: (id) => id,
      original: (id) => id,
      // Another's message (as Matrix says whose): the room announces its removal (XEP-0425).
      moderate: async (id, reason, author) => {
        if (!room || author === undefined || author === sender.userId) return false;
        await announce(this.d, room, nick, id, reason);
        return true;
      },
    };
  }

  /** An XMPP user's XEP-0425 moderation request to the room `target` (gateway-moderation.ts). */
  async onModerationIq(target: string, iq: Element): Promise<Element | null> {
    const room = await this.entered(target);
    return moderateFromXmpp(this.d, room?.target ?? target, room, iq);
  }

  /** A moderation Matrix settled while nobody waited (after a restart): answered, announced. */
  async moderationSettled(ref: ModerationRef, outcome: EmitOutcome): Promise<void> {
    const answer = await moderationDone(this.d, await this.entered(ref.alias), ref, outcome);
    await this.d.link.send(lateAnswer(ref, answer));
  }

  /** Sends a stanza `route` built to every XMPP session in the room, from the sender's occupant. */
  async send(el: Element, target: string): Promise<void> {
    const room = await this.roomOf(target);
    if (!room || room.occupants.size === 0) return;
    const nick = safeJid(el.attrs.from ?? '')?.resource ?? '';
    const userId = [...room.members.entries()].find(([, m]) => m.nick === nick)?.[0];
    if (userId && !room.shown.has(userId)) this.show(room, userId);
    const sent: Promise<void>[] = [];
    for (const p of room.occupants.values()) {
      const copy = cloneStanza(el);
      copy.attrs.from = `${p.roomJid}/${nick}`;
      copy.attrs.to = p.full;
      if (el.name === 'message' && el.attrs.id)
        copy.append(xml('stanza-id', { xmlns: NS.sid, id: el.attrs.id, by: p.roomJid }));
      sent.push(this.d.link.send(copy));
    }
    await Promise.all(sent);
  }

  /** A Matrix member appears to every XMPP session (they joined, or speak for the first time). */
  protected show(room: GwRoom, userId: MatrixUserId): void {
    const m = room.members.get(userId);
    if (!m) return;
    room.shown.add(userId);
    for (const p of room.occupants.values())
      this.out(occupantPresence({ from: `${p.roomJid}/${m.nick}`, to: p.full, level: m.level }));
  }

  async onMatrixMembership(target: string, change: MatrixMembership): Promise<void> {
    const room = await this.roomOf(target);
    if (!room) return;
    const codes =
      change.membership === 'kick' ? ['307'] : change.membership === 'ban' ? ['301'] : [];
    const ghost = this.d.ctx.ghostRemoteId(change.target);
    if (ghost) {
      // Who may enter a room that is not public: those whose ghosts are invited or in it.
      if (change.membership === 'invite' || change.membership === 'join') room.admitted.add(ghost);
      else room.admitted.delete(ghost);
      // A Matrix moderator removed an XMPP user's ghost: every session of theirs leaves.
      if (codes.length === 0) return;
      for (const o of [...room.occupants.values()].filter((o) => o.bare === ghost))
        await this.leave(target, o.full, codes, change.reason);
      return;
    }
    if (change.membership === 'join') {
      const name = change.sender.userId === change.target ? change.sender.displayName : undefined;
      const known = room.members.get(change.target);
      if (known) return name === undefined ? undefined : this.renamed(room, change.target, name);
      room.members.set(change.target, { nick: memberNick(room, change.target, name), level: 0 });
      if (room.occupants.size > 0 && room.shown.size < this.config.gateway.max_shown_members)
        this.show(room, change.target);
      return;
    }
    if (change.membership === 'invite' || change.membership === 'unban') return;
    const m = room.members.get(change.target);
    room.members.delete(change.target);
    if (!m || !room.shown.delete(change.target)) return;
    for (const p of room.occupants.values())
      this.out(
        occupantPresence({
          from: `${p.roomJid}/${m.nick}`,
          to: p.full,
          level: m.level,
          unavailable: true,
          codes,
          ...(change.reason ? { reason: change.reason } : {}),
        }),
      );
  }

  /**
   * A member's new display name: a new nick (their id when the name is someone else's), shown
   * as a nick change (XEP-0045 §7.6: the old nick leaves with 303, the new one comes) where they
   * are shown.
   */
  private renamed(room: GwRoom, userId: MatrixUserId, name: string): void {
    const m = room.members.get(userId);
    if (!m) return;
    const nick = memberNick(room, userId, name);
    if (nick === m.nick) return;
    const old = m.nick;
    m.nick = nick;
    if (!room.shown.has(userId)) return;
    for (const p of room.occupants.values()) {
      const gone = occupantPresence({
        from: `${p.roomJid}/${old}`,
        to: p.full,
        level: m.level,
        unavailable: true,
        codes: ['303'],
      });
      const item = gone.getChild('x', NS.mucUser)?.getChild('item');
      if (item) item.attrs.nick = nick;
      this.out(gone);
      this.out(occupantPresence({ from: `${p.roomJid}/${nick}`, to: p.full, level: m.level }));
    }
  }

  /** New power levels: shown members' and XMPP users' affiliations and roles change with them. */
  onMatrixPowerLevels(target: string, change: MatrixPowerLevels): void {
    const room = this.rooms.get(target);
    if (!room) return;
    if (change.redact !== undefined) room.redactLevel = change.redact;
    for (const c of change.changes) {
      const ghost = this.d.ctx.ghostRemoteId(c.userId);
      if (ghost) {
        // Kept with no session in the room too: a moderation request reads it when they are back.
        room.levels.set(ghost, c.level);
        // An XMPP user made moderator (or no longer): everyone in the room sees it.
        for (const o of [...room.occupants.values()].filter((o) => o.bare === ghost)) {
          for (const p of room.occupants.values())
            this.out(
              occupantPresence({
                from: `${p.roomJid}/${o.nick}`,
                to: p.full,
                level: c.level,
                jid: o.full,
                ...(p.full === o.full ? { codes: ['110'] } : {}),
              }),
            );
        }
        continue;
      }
      const m = room.members.get(c.userId);
      if (!m) continue;
      m.level = c.level;
      if (!room.shown.has(c.userId)) continue;
      for (const p of room.occupants.values())
        this.out(occupantPresence({ from: `${p.roomJid}/${m.nick}`, to: p.full, level: m.level }));
    }
  }

  async onMatrixTopic(target: string, change: MatrixTopic): Promise<void> {
    const room = await this.roomOf(target);
    if (!room) return;
    room.topic = change.topic;
    const { from } = this.route(target, change.sender);
    const nick = safeJid(from)?.resource ?? '';
    for (const p of room.occupants.values())
      this.out(subjectMessage(`${p.roomJid}/${nick}`, p.full, change.topic, newId()));
  }

  protected out(el: Element): void {
    this.d.link
      .send(el)
      .catch((err: unknown) => this.d.ctx.log.debug({ err }, 'gateway stanza not sent'));
  }
}
