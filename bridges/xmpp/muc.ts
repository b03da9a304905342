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
  remoteMessageId,
  type MatrixMembership,
  type MatrixSender,
  type MatrixTopic,
  type MatrixUserId,
  type PortalInfo,
  type RemoteMessageId,
} from '../../src/connector.js';
import type { XmppDeps } from './deps.js';
import type { Route } from './from-matrix.js';
import { matrixUserJid, mucPortal, safeJid, xmppUser } from './ids.js';
import { Lru } from './lru.js';
import { parseOccupantPresence } from './muc-stanzas.js';
import { conflictNick, nickFor } from './nicks.js';
import type { ReactionSets } from './reactions.js';
import { buildJoin, buildLeave, buildMessage, newId, type ParsedMessage } from './stanzas.js';
import { eventsOf } from './to-matrix.js';

const JOIN_TIMEOUT_MS = 15_000;
const REFLECTION_TIMEOUT_MS = 30_000;
const MAX_CONFLICTS = 5;

interface Occupant {
  userId: MatrixUserId;
  /** The nick the user wants (from their display name). */
  wanted: string;
  /** The nick they have, or are joining with. */
  nick: string;
  /** Their full address on the component. */
  full: string;
  state: 'joining' | 'joined' | 'left';
  conflicts: number;
  joined?: Promise<void>;
  settle?: (err?: Error) => void;
}

interface Room {
  jid: string;
  occupants: Map<MatrixUserId, Occupant>;
  /** XMPP occupants by nick (their ghosts are in the room). */
  remote: Set<string>;
  /** Origin ids of sent messages waiting for their reflection. */
  reflections: Map<
    string,
    { resolve: (ids: RemoteMessageId[]) => void; reject: (e: Error) => void }
  >;
  /** A message's own id (what corrections name) → the room's stanza-id (what the rest names). */
  ids: Lru<string, string>;
  /** Stanza-ids already bridged (a second copy, after a reconnect, is dropped). */
  seen: Lru<string, true>;
  subject?: string;
}

interface Stored {
  userId: MatrixUserId;
  wanted: string;
  nick: string;
}

const membersKey = (room: string) => `muc/${room}/members`;
const subjectKey = (room: string) => `muc/${room}/subject`;

export class Mucs {
  private readonly rooms = new Map<string, Room>();
  private stopped = false;

  constructor(
    private readonly d: XmppDeps,
    private readonly reactions: ReactionSets,
  ) {}

  portalInfo(room: string): PortalInfo {
    this.room(room);
    return { key: mucPortal(room), name: safeJid(room)?.local ?? room, joinRule: 'public' };
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
      room = {
        jid,
        occupants: new Map(),
        remote: new Set(),
        reflections: new Map(),
        ids: new Lru(10_000),
        seen: new Lru(10_000),
      };
      this.rooms.set(jid, room);
    }
    return room;
  }

  /** A portal room exists: its Matrix users who were in the MUC join it again. */
  async linked(jid: string): Promise<void> {
    const room = this.room(jid);
    room.subject = await this.d.ctx.kv.get<string>(subjectKey(jid));
    const stored = (await this.d.ctx.kv.get<Stored[]>(membersKey(jid))) ?? [];
    for (const s of stored) {
      if (room.occupants.has(s.userId)) continue;
      const own = matrixUserJid(s.userId, this.d.link.domain);
      if (!own) continue;
      room.occupants.set(s.userId, {
        userId: s.userId,
        wanted: s.wanted,
        nick: s.nick,
        full: `${own}/${this.d.ctx.config.resource}`,
        state: 'left',
        conflicts: 0,
      });
    }
    if (this.d.link.state === 'online') this.rejoin(room);
  }

  async unlinked(jid: string): Promise<void> {
    const room = this.rooms.get(jid);
    if (!room) return;
    for (const o of room.occupants.values()) this.leave(room, o);
    this.rooms.delete(jid);
    await this.d.ctx.kv.delete(membersKey(jid));
  }

  /** The connection is (back) online: every occupant joins again (the server may have restarted). */
  rejoinAll(): void {
    for (const room of this.rooms.values()) this.rejoin(room);
  }

  stop(): void {
    this.stopped = true;
  }

  private rejoin(room: Room): void {
    for (const o of room.occupants.values()) {
      o.state = 'left';
      void this.join(room, o).catch((err: unknown) =>
        this.d.ctx.log.warn({ err, portal: mucPortal(room.jid) }, 'could not rejoin a MUC'),
      );
    }
  }

  private async store(room: Room): Promise<void> {
    const list: Stored[] = [...room.occupants.values()].map((o) => ({
      userId: o.userId,
      wanted: o.wanted,
      nick: o.nick,
    }));
    await this.d.ctx.kv.set(membersKey(room.jid), list);
  }

  /** The user's occupant, joined (joining it first when needed). */
  async ensureJoined(jid: string, sender: MatrixSender): Promise<Occupant> {
    const room = this.room(jid);
    let o = room.occupants.get(sender.userId);
    if (!o) {
      const own = matrixUserJid(sender.userId, this.d.link.domain);
      if (!own)
        throw new BridgeError('rejected', 'your Matrix id cannot be an XMPP address (capitals?)');
      const wanted = nickFor(sender.displayName, sender.userId);
      o = {
        userId: sender.userId,
        wanted,
        nick: wanted,
        full: `${own}/${this.d.ctx.config.resource}`,
        state: 'left',
        conflicts: 0,
      };
      room.occupants.set(sender.userId, o);
      await this.store(room);
    }
    if (o.state === 'joined') return o;
    if (o.state === 'left') void this.join(room, o).catch(() => undefined);
    await o.joined;
    return o;
  }

  private join(room: Room, o: Occupant): Promise<void> {
    o.state = 'joining';
    o.joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => o.settle?.(new BridgeError('network', `${room.jid} did not answer the join`, true)),
        JOIN_TIMEOUT_MS,
      );
      timer.unref?.();
      o.settle = (err) => {
        clearTimeout(timer);
        o.settle = undefined;
        if (err) {
          o.state = 'left';
          reject(err);
        } else resolve();
      };
    });
    o.joined.catch(() => undefined);
    this.d.link.send(buildJoin(o.full, `${room.jid}/${o.nick}`)).catch((err: unknown) => {
      o.settle?.(new BridgeError('network', `could not join ${room.jid}: ${String(err)}`, true));
    });
    return o.joined;
  }

  private leave(room: Room, o: Occupant, status?: string): void {
    o.state = 'left';
    void this.d.link
      .send(buildLeave(o.full, `${room.jid}/${o.nick}`, status))
      .catch(() => undefined);
  }

  /** Where a Matrix user's stanzas to the MUC go: from their occupant, joined first. */
  async route(jid: string, sender: MatrixSender): Promise<Route> {
    const room = this.room(jid);
    const o = await this.ensureJoined(jid, sender);
    return {
      type: 'groupchat',
      from: o.full,
      to: jid,
      ref: (id) => room.ids.get(id) ?? id,
      reflected: (id) =>
        new Promise<RemoteMessageId[]>((resolve, reject) => {
          const timer = setTimeout(() => {
            room.reflections.delete(id);
            resolve([]); // sent, but the room never said so: the send stands
          }, REFLECTION_TIMEOUT_MS);
          timer.unref?.();
          room.reflections.set(id, {
            resolve: (ids) => (clearTimeout(timer), resolve(ids)),
            reject: (err) => (clearTimeout(timer), reject(err)),
          });
        }),
    };
  }

  /** The occupant through which the bridge reads the room: its first joined Matrix user. */
  private reader(room: Room): Occupant | undefined {
    for (const o of room.occupants.values()) if (o.state === 'joined') return o;
    return undefined;
  }

  private ours(room: Room, nick: string): Occupant | undefined {
    for (const o of room.occupants.values()) if (o.nick === nick && o.state !== 'left') return o;
    return undefined;
  }

  onMessage(el: Element, m: ParsedMessage): void {
    const from = safeJid(m.from);
    const room = from && this.rooms.get(from.bare().toString());
    if (!from || !room) return;
    if (m.type === 'error') {
      const pending = m.id ? room.reflections.get(m.id) : undefined;
      if (!pending || !m.id) return;
      room.reflections.delete(m.id);
      const why = m.error?.text ?? m.error?.condition ?? 'refused';
      pending.reject(new BridgeError('rejected', `the XMPP room refused the message: ${why}`));
      return;
    }
    const reader = this.reader(room);
    if (!reader || m.to !== reader.full) return; // another occupant's copy of the same message
    const nick = from.resource;
    const stanzaId = m.stanzaIds.find((s) => s.by === room.jid)?.id;
    const own = nick ? this.ours(room, nick) : undefined;
    if (own) {
      // Our own message, reflected: it confirms the send and is never bridged back.
      const origin = m.originId ?? m.id;
      if (origin && stanzaId) room.ids.set(origin, stanzaId);
      const pending = origin ? room.reflections.get(origin) : undefined;
      if (pending && origin) {
        room.reflections.delete(origin);
        pending.resolve(stanzaId ? [remoteMessageId(stanzaId)] : []);
      }
      if (m.subject !== undefined && m.body === undefined) void this.saveSubject(room, m.subject);
      return;
    }
    if (stanzaId) {
      if (room.seen.has(stanzaId)) return;
      room.seen.set(stanzaId, true);
    }
    if (m.id && stanzaId) room.ids.set(m.id, stanzaId);
    if (m.originId && stanzaId) room.ids.set(m.originId, stanzaId);
    const key = mucPortal(room.jid);
    const sender = xmppUser(nick ? `${room.jid}/${nick}` : room.jid);
    void this.d.chain.run(
      key,
      async () => {
        if (m.subject !== undefined && m.body === undefined) {
          if (room.subject === m.subject) return; // told again on each join
          await this.saveSubject(room, m.subject);
          await this.d.emit({ kind: 'topic', portal: key, sender, topic: m.subject });
          return;
        }
        if (nick) await this.arrived(room, nick);
        const events = await eventsOf(
          m,
          {
            portal: key,
            sender,
            id: stanzaId ?? m.id ?? newId(),
            ref: (id) => room.ids.get(id) ?? id,
          },
          this.reactions,
        );
        for (const e of events) await this.d.emit(e);
      },
      (err) => this.d.ctx.log.warn({ err, portal: key }, 'a MUC message was not bridged'),
    );
  }

  private async saveSubject(room: Room, subject: string): Promise<void> {
    room.subject = subject;
    await this.d.ctx.kv.set(subjectKey(room.jid), subject);
  }

  /** An XMPP occupant's ghost joins the room (once), named by their nick. */
  private async arrived(room: Room, nick: string): Promise<void> {
    if (room.remote.has(nick)) return;
    room.remote.add(nick);
    const user = xmppUser(`${room.jid}/${nick}`);
    await this.d.ctx.setGhostProfile(user, { displayName: nick });
    await this.d.emit({
      kind: 'membership',
      portal: mucPortal(room.jid),
      sender: user,
      membership: 'join',
    });
  }

  onPresence(el: Element): void {
    const from = safeJid(el.attrs.from ?? '');
    const room = from && this.rooms.get(from.bare().toString());
    if (!from || !room || !from.resource) return;
    const nick = from.resource;
    const p = parseOccupantPresence(el);
    const to = el.attrs.to;
    const mine = [...room.occupants.values()].find((o) => o.full === to);
    if (!mine) return;
    const key = mucPortal(room.jid);
    // About our own occupant: a join confirmed or refused, a nick the room gave, a kick.
    if (p.error && mine.state === 'joining' && nick === mine.nick) {
      void this.refused(room, mine, p.error, p.errorText);
      return;
    }
    if (p.codes.has('110')) {
      if (p.available) {
        const changed = mine.nick !== nick;
        mine.nick = nick;
        if (mine.state !== 'joined') {
          mine.state = 'joined';
          mine.settle?.();
        }
        if (changed) void this.store(room);
      } else if (p.codes.has('303') && p.newNick) {
        mine.nick = p.newNick;
      } else if (mine.state === 'joined') {
        mine.state = 'left';
        const removal = p.codes.has('301') ? 'ban' : p.codes.has('307') ? 'kick' : undefined;
        if (removal)
          void this.d.chain.run(
            key,
            () =>
              this.d.emit({
                kind: 'membership',
                portal: key,
                sender: xmppUser(room.jid),
                membership: removal,
                matrixUser: mine.userId,
                ...(p.reason ? { reason: p.reason } : {}),
              }),
            (err) => this.d.ctx.log.warn({ err, portal: key }, 'a MUC kick was not bridged'),
          );
      }
      return;
    }
    // Others, as the reader sees them; our own users' occupants are not ghosts.
    if (this.reader(room) !== mine || this.ours(room, nick)) return;
    const user = xmppUser(`${room.jid}/${nick}`);
    void this.d.chain.run(
      key,
      async () => {
        if (p.available) {
          await this.arrived(room, nick);
          return;
        }
        if (!room.remote.delete(nick)) return;
        const membership = p.codes.has('301') ? 'ban' : p.codes.has('307') ? 'kick' : 'leave';
        await this.d.emit({
          kind: 'membership',
          portal: key,
          sender: user,
          membership,
          ...(p.reason ? { reason: p.reason } : {}),
        });
        if (p.codes.has('303') && p.newNick) await this.arrived(room, p.newNick);
      },
      (err) => this.d.ctx.log.warn({ err, portal: key }, 'a MUC presence was not bridged'),
    );
  }

  /** A join refused: a taken nick is retried with a suffix (and the user told); else it fails. */
  private async refused(room: Room, o: Occupant, condition: string, text?: string): Promise<void> {
    const { ctx } = this.d;
    if (condition === 'conflict' && o.conflicts < MAX_CONFLICTS) {
      o.conflicts++;
      const settle = o.settle;
      o.nick = conflictNick(o.wanted, o.conflicts);
      o.settle = undefined;
      const retry = this.join(room, o);
      retry.then(
        () => settle?.(),
        (err: Error) => settle?.(err),
      );
      await this.store(room);
      await ctx
        .notify(
          o.userId,
          `In the XMPP room ${room.jid}, the nick "${o.wanted}" is taken: you are "${o.nick}" there.`,
        )
        .catch(() => false);
      return;
    }
    const why = text ? `${condition}: ${text}` : condition;
    o.settle?.(new BridgeError('rejected', `the XMPP room ${room.jid} refused you (${why})`));
    await ctx
      .notify(o.userId, `The XMPP room ${room.jid} refused to let you in (${why}).`)
      .catch(() => false);
  }

  /** A Matrix user joined (their occupant joins the MUC) or left (it leaves). */
  async onMatrixMembership(jid: string, change: MatrixMembership): Promise<void> {
    if (this.stopped) return;
    const room = this.room(jid);
    if (change.membership === 'join' && change.target === change.sender.userId) {
      await this.ensureJoined(jid, change.sender);
      return;
    }
    if (
      change.membership === 'leave' ||
      change.membership === 'kick' ||
      change.membership === 'ban'
    ) {
      const o = room.occupants.get(change.target);
      if (!o) return;
      this.leave(room, o, change.reason);
      room.occupants.delete(change.target);
      await this.store(room);
    }
  }

  /** A Matrix topic change: the user's occupant sets the MUC's subject. */
  async setSubject(jid: string, change: MatrixTopic): Promise<void> {
    const o = await this.ensureJoined(jid, change.sender);
    await this.d.link.send(
      buildMessage({
        type: 'groupchat',
        from: o.full,
        to: jid,
        id: newId(),
        subject: change.topic,
      }),
    );
  }
}
