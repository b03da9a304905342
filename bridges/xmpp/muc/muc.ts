/**
 * MUC portals (XEP-0045). Each Matrix user in a portal room joins the MUC as their own occupant
 * (their address on the component, their own nick from their display name); a nick taken by
 * someone else gets a suffix (nicks.ts) and the user is told in their management room. The
 * bridge reads the room's traffic through one of its occupants (the reader), so each message is
 * bridged once however many Matrix users are in the MUC. XMPP occupants are ghosts
 * `room@host/nick`. The room's reflection of a Matrix user's message confirms it (its stanza-id
 * is mapped to the event) and is never bridged back. Subject ↔ topic.
 */
import type { Element } from '@xmpp/xml';
import {
  BridgeError,
  type MatrixMembership,
  type MatrixPowerLevels,
  type MatrixRoomId,
  type MatrixSender,
  type MatrixTopic,
  type MatrixUserId,
  type PortalInfo,
} from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { Route } from '../messages/from-matrix.js';
import { bareOf, mucPortal, safeJid } from '../ids.js';
import { onPresence } from './muc-presence.js';
import { isOccupantMessage, moderate, stanzaIdOf } from './moderation.js';
import { groupchatRoute, newRoom, READER, readerOf, type Occupant, type Room } from './muc-room.js';
import { PrivateChats } from './private.js';
import type { DirectChats } from '../dm/dm.js';
import { levelChanges, setLevels } from './muc-moderation.js';
import {
  forgetOccupants,
  newOccupant,
  readerOccupant,
  restoreOccupants,
  storeOccupants,
  type OccupantHome,
} from './occupant-list.js';
import type { ReactionSets } from '../messages/reactions.js';
import { buildMessage, newId, type ParsedMessage } from '../connection/stanzas.js';
import { MamQueries } from './mam.js';
import { tellPresence } from './own-presence.js';
import { catchUp, lastKey } from './muc-catchup.js';
import * as ids from './occupant-ids.js';
import { arrived, bridgeMessage, subjectKey } from './muc-inbound.js';
import { onRoomMessage } from './muc-messages.js';
import { readOutcasts } from './outcasts.js';
import { joinOccupant, leaveOccupant } from './occupant-join.js';
import { onMatrixMembership } from './matrix-membership.js';
import {
  forgetLinkPassword,
  restoreLinkPassword,
  storeLinkPassword,
} from '../muc-links/link-password.js';

export type { RoomMember } from './occupant-list.js';

export class Mucs {
  private readonly rooms = new Map<string, Room>();
  private readonly mam = new MamQueries();
  private stopped = false;
  /** Room passwords from the config (bridges.xmpp.rooms), by the MUC's address. */
  private readonly passwords: Map<string, string>;
  /** Private messages with occupants (XEP-0045 §7.5). */
  readonly privates: PrivateChats;

  constructor(
    private readonly d: XmppDeps,
    private readonly reactions: ReactionSets,
    dms: DirectChats,
  ) {
    this.privates = new PrivateChats(d, dms, this.rooms);
    this.passwords = new Map(
      d.ctx.config.rooms.flatMap((r) =>
        r.password !== undefined ? [[r.muc, r.password] as const] : [],
      ),
    );
  }

  portalInfo(room: string): PortalInfo {
    this.room(room);
    return { key: mucPortal(room), name: safeJid(room)?.local ?? room, joinRule: 'public' };
  }

  /**
   * Whether a groupchat message is another occupant's copy of what the room sends the reader:
   * the room sends each message to each of our occupants, and only the reader's copy is read, so
   * the others are dropped on their addresses alone, unparsed (the cost per message grows with the
   * Matrix users in the room).
   */
  isOtherCopy(from: string | undefined, to: string | undefined): boolean {
    if (!from || !to) return false;
    const slash = from.indexOf('/');
    const room = this.rooms.get(slash < 0 ? from : from.slice(0, slash));
    const reader = room && readerOf(room);
    return !!reader && to !== reader.full;
  }

  /**
   * Whether a stanza's `from` is one of our rooms or an occupant of one: off the address string
   * first (as the room writes it: a MUC's presences come by the hundred), else parsed.
   */
  isRoomAddress(from: string): boolean {
    const slash = from.indexOf('/');
    return this.rooms.has(slash < 0 ? from : from.slice(0, slash)) || this.isRoom(from);
  }

  isRoom(address: string): boolean {
    const bare = safeJid(address)?.bare().toString();
    return !!bare && this.rooms.has(bare);
  }

  joined(room: string, userId: string): boolean {
    return this.rooms.get(room)?.occupants.get(userId as MatrixUserId)?.state === 'joined';
  }

  private room(jid: string): Room {
    let room = this.rooms.get(jid);
    if (!room) {
      room = newRoom(jid, this.passwords.get(jid));
      this.rooms.set(jid, room);
    }
    return room;
  }

  /**
   * A portal room exists: its Matrix users who were in the MUC join it again (with the password
   * its link gave, `password` when this link gives one: stored for the next starts).
   */
  async linked(jid: string, password?: string): Promise<void> {
    const room = this.room(jid);
    if (password !== undefined) await storeLinkPassword(this.d.ctx, room, password);
    else await restoreLinkPassword(this.d.ctx, room);
    room.subject = await this.d.ctx.kv.get<string>(subjectKey(jid));
    await restoreOccupants(this.d.ctx.kv, this.home, room);
    if (this.speakers && !room.occupants.has(READER))
      room.occupants.set(READER, readerOccupant(this.home, this.d.ctx.config.reader_nick));
    await ids.restoreOccupantIds(this.d.ctx.kv, room);
    if (this.d.link.state === 'online') this.rejoin(room);
  }

  /** `occupants: speakers`: a Matrix user becomes an occupant by sending, not by joining. */
  get speakers(): boolean {
    return this.d.ctx.config.occupants === 'speakers';
  }

  private get home(): OccupantHome {
    return { domain: this.d.link.domain, resource: this.d.ctx.config.resource };
  }

  async unlinked(jid: string): Promise<void> {
    const room = this.rooms.get(jid);
    if (!room) return;
    for (const o of room.occupants.values()) leaveOccupant(this.d, room, o);
    this.rooms.delete(jid);
    await forgetOccupants(this.d.ctx.kv, jid);
    await this.d.ctx.kv.delete(ids.occupantIdsKey(jid));
    await forgetLinkPassword(this.d.ctx, jid);
  }

  /** The connection is (back) online: every occupant joins again (the server may have restarted). */
  rejoinAll(): void {
    for (const room of this.rooms.values()) this.rejoin(room);
  }

  /** Stops; the rooms' last stanza-ids are stored (for the catch-up after a restart). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const room of this.rooms.values()) {
      clearTimeout(room.lastTimer);
      room.lastTimer = undefined;
      if (room.last) await this.d.ctx.kv.set(lastKey(room.jid), room.last).catch(() => undefined);
      if (room.idsTimer) await ids.saveOccupantIds(this.d.ctx.kv, room);
    }
  }

  private rejoin(room: Room): void {
    room.catchUp = true;
    room.outcastsRead = false;
    room.unlocking = undefined; // a room made by this rejoin (emptied meanwhile) sets it again
    // Occupant-ids are the room's: after the server was away (a non-persistent room is made
    // again, with new ids), the join's presences tell them afresh (but those the store kept).
    ids.forgetOccupantIds(this.d.ctx.kv, room);
    for (const o of room.occupants.values()) {
      void this.join(room, o, true).catch((err: unknown) =>
        this.d.ctx.log.warn({ err, portal: mucPortal(room.jid) }, 'could not rejoin a MUC'),
      );
    }
  }

  private store(room: Room): Promise<void> {
    return storeOccupants(this.d.ctx.kv, room);
  }

  /**
   * The Matrix users already in the portal's room (but the bot and bridges' ghosts) become
   * occupants as if they had just joined it: stored (so they join again at each start), and
   * joined now when the connection is up, else when it is. For a room linked by the config or at
   * run time, whose people were there before the link.
   */
  async addRoomMembers(jid: string, roomId: MatrixRoomId): Promise<void> {
    if (this.speakers) return; // they join when they speak
    const view = await this.d.ctx.matrixRoom?.(roomId);
    const room = this.room(jid);
    const added: Occupant[] = [];
    for (const user of view?.members.filter((m) => !m.bridged) ?? []) {
      const o = room.occupants.has(user.userId) ? undefined : newOccupant(this.home, user);
      if (!o) continue;
      room.occupants.set(user.userId, o);
      added.push(o);
    }
    if (added.length === 0) return;
    await this.store(room);
    if (this.d.link.state !== 'online') return; // the connection's start joins them (rejoinAll)
    for (const o of added) void this.join(room, o).catch(() => undefined);
  }

  /** The user's occupant, joined (joining it first when needed). */
  async ensureJoined(jid: string, sender: MatrixSender): Promise<Occupant> {
    const room = this.room(jid);
    let o = room.occupants.get(sender.userId);
    if (!o) {
      o = newOccupant(this.home, sender);
      if (!o)
        throw new BridgeError('rejected', 'your Matrix id cannot be an XMPP address (capitals?)');
      room.occupants.set(sender.userId, o);
      await this.store(room);
    }
    if (o.state === 'joined') return o;
    if (o.state === 'left') void this.join(room, o).catch(() => undefined);
    await o.joined;
    return o;
  }

  private join(room: Room, o: Occupant, first = false): Promise<void> {
    return joinOccupant(this.d, room, o, first);
  }

  /**
   * A Matrix user's avatar (`force` false: only when their occupant told another hash) or
   * presence changed: their occupants tell the rooms (a presence update).
   */
  presenceChanged(userId: string, force: boolean): void {
    for (const room of this.rooms.values()) {
      const o = room.occupants.get(userId as MatrixUserId);
      if (o) tellPresence(this.d, room, o, force);
    }
  }

  /** Where a Matrix user's stanzas to the MUC go: from their occupant, joined first. */
  async route(jid: string, sender: MatrixSender): Promise<Route> {
    const room = this.room(jid);
    const o = await this.ensureJoined(jid, sender);
    return (o.route ??= {
      ...groupchatRoute(room, o),
      // XEP-0425: another's message is removed by moderation, not by a retraction (moderation.ts).
      moderate: async (target, reason, author, sentAt) => {
        const lookUp = (id: string) => this.mam.byId(this.d.link, room.jid, o.full, id);
        // Whose it was, as Matrix has it (another Matrix user's too); else as the room knows it.
        const another =
          author !== undefined
            ? author !== o.userId
            : await isOccupantMessage(room, room.ids.get(target) ?? target, lookUp);
        if (!another) return false;
        const find = (id: string, start: number) =>
          this.mam.find(this.d.link, room.jid, o.full, id, start);
        await moderate(this.d.link, room, o, await stanzaIdOf(room, target, sentAt, find), reason);
        return true;
      },
    });
  }

  onMessage(el: Element, m: ParsedMessage): void {
    if (this.mam.onResult(el)) return;
    // The room and nick off the address string (a room's address is as the bridge stored it),
    // without parsing a JID for each message; an address in another form is parsed.
    const slash = m.from.indexOf('/');
    let room = this.rooms.get(slash < 0 ? m.from : m.from.slice(0, slash));
    let resource = room && slash >= 0 ? m.from.slice(slash + 1) : undefined;
    if (!room) {
      const from = safeJid(m.from);
      room = from && this.rooms.get(bareOf(from));
      resource = from?.resource || undefined;
    }
    if (!room) return;
    onRoomMessage(this.d, this.reactions, this.privates, room, resource, el, m);
  }

  bridgeMessage(
    room: Room,
    m: ParsedMessage,
    nick: string | undefined,
    stanzaId: string | undefined,
  ): Promise<void> {
    return bridgeMessage(this.d, this.reactions, room, m, nick, stanzaId);
  }

  private joinedRoom(room: Room, o: Occupant): void {
    tellPresence(this.d, room, o, false); // an avatar fetched while the join was under way
    catchUp(
      { d: this.d, mam: this.mam, bridgeMessage: (r, m, n, id) => this.bridgeMessage(r, m, n, id) },
      room,
      o,
    );
  }

  /** An occupant of ours is an admin or owner: the room's outcasts are read (once per join). */
  private ourAffiliation(room: Room, o: Occupant, affiliation: string | undefined): void {
    if (room.outcastsRead || (affiliation !== 'owner' && affiliation !== 'admin')) return;
    room.outcastsRead = true;
    const key = mucPortal(room.jid);
    void this.d.chain.run(
      key,
      () => readOutcasts(this.d, room, o),
      (err) => this.d.ctx.log.warn({ err, portal: key }, 'the MUC outcasts were not read'),
    );
  }

  private arrived(room: Room, ghost: string, nick?: string): Promise<void> {
    return arrived(this.d, room, ghost, nick);
  }

  onPresence(el: Element): void {
    onPresence(
      {
        d: this.d,
        rooms: this.rooms,
        store: (room) => this.store(room),
        join: (room, o) => this.join(room, o),
        arrived: (room, ghost, nick) => this.arrived(room, ghost, nick),
        joined: (room, o) => this.joinedRoom(room, o),
        affiliation: (room, o, affiliation) => this.ourAffiliation(room, o, affiliation),
        left: (room, ghost, nick, newNick) => this.privates.left(room, ghost, nick, newNick),
      },
      el,
    );
  }

  /** A Matrix user joined (their occupant joins the MUC) or left (it leaves): matrix-membership.ts. */
  async onMatrixMembership(jid: string, change: MatrixMembership): Promise<void> {
    if (this.stopped) return;
    const room = this.room(jid);
    await onMatrixMembership(
      {
        d: this.d,
        store: (r) => this.store(r),
        ensureJoined: (sender) => this.ensureJoined(jid, sender),
        joinsOnJoin: !this.speakers,
      },
      room,
      change,
    );
  }

  /** A Matrix user changed power levels: affiliations and roles in the MUC, done by their occupant. */
  async setPowerLevels(jid: string, change: MatrixPowerLevels): Promise<void> {
    const room = this.room(jid);
    const changes = levelChanges(this.d, room, change);
    if (changes.length === 0) return;
    await setLevels(this.d.link, room, await this.ensureJoined(jid, change.sender), changes);
  }

  /** A Matrix topic change: the user's occupant sets the MUC's subject (the room may refuse). */
  async setSubject(jid: string, change: MatrixTopic): Promise<void> {
    const route = await this.route(jid, change.sender);
    const id = newId();
    const reflected = route.reflected!(id);
    this.rooms.get(jid)?.subjectChanges.set(route.from, id);
    await this.d.link.send(
      buildMessage({ type: 'groupchat', from: route.from, to: jid, id, subject: change.topic }),
    );
    await reflected;
  }
}
