/**
 * A Matrix room as XMPP users see it through the gateway (gateway.ts): its occupants on both
 * sides, their nicks, and the XEP-0045 stanzas that show them (occupant presences, the subject).
 */
import { xml, type Element } from '@xmpp/xml';
import type { MatrixUserId, MatrixRoomView, PortalKey } from '../../../src/connector.js';
import { Lru } from '../util/lru.js';
import { NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';

/** An XMPP user in the room (one session: a full address). */
export interface GwOccupant {
  /** Their full address. */
  full: string;
  bare: string;
  nick: string;
  /** The room's address as they wrote it (`#room#server@…`, or escaped). */
  roomJid: string;
}

/** A Matrix member as an occupant. */
export interface GwMember {
  nick: string;
  level: number;
}

export interface GwRoom {
  /** The alias or room id the room was first entered by (its portal's key is `gw/<target>`). */
  target: string;
  key: PortalKey;
  roomId: string;
  name?: string;
  topic?: string;
  /** The room's main alias, as it was when the room was looked up. */
  canonicalAlias?: string;
  /** Matrix members (not the bridge's own ghosts), by user id. */
  members: Map<MatrixUserId, GwMember>;
  /** Members XMPP occupants were shown (the first ones at a join, then whoever speaks or joins). */
  shown: Set<MatrixUserId>;
  /** The level the Matrix room asks to redact another's event (`redact` in its power levels). */
  redactLevel: number;
  /** XMPP users' power levels in the Matrix room (their ghosts'), by bare address; absent: 0. */
  levels: Map<string, number>;
  /** `public`, `invite`, `knock`, … (`m.room.join_rules`): who may enter (gateway-access.ts). */
  joinRule: string;
  /** XMPP users (bare addresses) whose ghosts are invited to the room or in it. */
  admitted: Set<string>;
  /** XMPP sessions by full address. */
  occupants: Map<string, GwOccupant>;
  /** Per sender: a message's own id → the stanza-id the room gave it (corrections name the own id). */
  ids: Lru<string, string>;
}

export function newGwRoom(target: string, key: PortalKey, view: MatrixRoomView): GwRoom {
  return {
    target,
    key,
    roomId: view.roomId,
    ...(view.name ? { name: view.name } : {}),
    ...(view.topic ? { topic: view.topic } : {}),
    ...(view.canonicalAlias ? { canonicalAlias: view.canonicalAlias } : {}),
    members: new Map(),
    shown: new Set(),
    redactLevel: view.redactLevel ?? 50,
    joinRule: view.joinRule,
    admitted: new Set(),
    levels: new Map(),
    occupants: new Map(),
    ids: new Lru(10_000),
  };
}

/** XEP-0045 affiliation and role of a Matrix power level. */
export function affiliationOf(level: number): { affiliation: string; role: string } {
  if (level >= 100) return { affiliation: 'owner', role: 'moderator' };
  if (level >= 50) return { affiliation: 'admin', role: 'moderator' };
  return { affiliation: 'member', role: 'participant' };
}

/** A nick for a Matrix member that no one else in the room has: their name, else their id. */
export function memberNick(room: GwRoom, userId: MatrixUserId, displayName?: string): string {
  const wanted = (displayName ?? '').replace(/[\x00-\x1f\x7f]/g, '').trim();
  const taken = (nick: string) => nickTaken(room, nick, userId);
  if (wanted && !taken(wanted)) return wanted;
  return userId;
}

/** Whether `nick` is someone else's in the room (a Matrix member other than `self`, or an XMPP user). */
export function nickTaken(room: GwRoom, nick: string, self?: string): boolean {
  const lower = nick.toLowerCase();
  for (const [userId, m] of room.members)
    if (userId !== self && m.nick.toLowerCase() === lower) return true;
  for (const o of room.occupants.values())
    if (o.bare !== self && o.nick.toLowerCase() === lower) return true;
  return false;
}

/** The largest number of Matrix members shown at a join: moderators first, then by name. */
export function firstShown(room: GwRoom, max: number): MatrixUserId[] {
  return [...room.members.entries()]
    .sort(([, a], [, b]) => b.level - a.level || a.nick.localeCompare(b.nick))
    .slice(0, max)
    .map(([userId]) => userId);
}

/** An occupant's presence as `to` gets it (codes: 110 self, 303 nick change, 307 kick, …). */
export function occupantPresence(opts: {
  from: string;
  to: string;
  level: number;
  unavailable?: boolean;
  codes?: string[];
  reason?: string;
  /** Their real address (XMPP users see their own). */
  jid?: string;
}): Element {
  const { affiliation, role } = affiliationOf(opts.level);
  return xml(
    'presence',
    { from: opts.from, to: opts.to, ...(opts.unavailable ? { type: 'unavailable' } : {}) },
    xml(
      'x',
      { xmlns: NS.mucUser },
      xml(
        'item',
        {
          affiliation: opts.unavailable && opts.codes?.includes('301') ? 'outcast' : affiliation,
          role: opts.unavailable ? 'none' : role,
          ...(opts.jid ? { jid: opts.jid } : {}),
        },
        opts.reason ? xml('reason', {}, xmlText(opts.reason)) : null,
      ),
      ...(opts.codes ?? []).map((code) => xml('status', { code })),
    ),
  );
}

/** The room's subject (the Matrix topic) as a join ends with it (empty when there is none). */
export function subjectMessage(from: string, to: string, subject: string, id: string): Element {
  return xml('message', { type: 'groupchat', from, to, id }, xml('subject', {}, xmlText(subject)));
}
