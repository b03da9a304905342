/** The state of one MUC portal: the Matrix users' occupants and what the bridge knows of the room. */
import type { MatrixUserId, RemoteMessageId } from '../../../src/connector.js';
import { Lru } from '../util/lru.js';
import type { Route } from '../messages/from-matrix.js';
import { kept } from '../util/kept.js';

export interface Occupant {
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
  /** The room's unlock this occupant's refused join waited for (one retry after each). */
  waitedUnlock?: Promise<void>;
  /** Where their messages go (muc.ts route), made on the first. */
  route?: Route;
  /** The XEP-0153 avatar hash their last presence told (undefined: none told). */
  photo?: string;
}

export interface Room {
  jid: string;
  /** The room's password (XEP-0045 §7.2.6), sent in each join. Never logged. */
  password?: string;
  /** Where the password came from: the config (`bridges.xmpp.rooms`) or its link (link-password.ts). */
  passwordFrom?: 'config' | 'link';
  /** The room refused a join as not-authorized (a wrong or missing password): told once. */
  passwordRefused?: boolean;
  /** The room our join made stayed locked (room-unlock.ts): told once. */
  lockedTold?: boolean;
  /**
   * The configuration of the room our join made since the last (re)join (room-unlock.ts): our
   * other occupants' joins refused while it was locked go again once it is done.
   */
  unlocking?: Promise<void>;
  occupants: Map<MatrixUserId, Occupant>;
  /**
   * XMPP occupants by the nick their ghost is named by (their ghosts are in the room); the maps
   * below are keyed by that nick too. An occupant who changed nick keeps their ghost (XEP-0421
   * occupant-id): `ghostNicks` maps their nick now to their ghost's, `occupantIds` an occupant-id
   * to the ghost's nick (see ghostNick, currentNick).
   */
  remote: Set<string>;
  ghostNicks: Map<string, string>;
  occupantIds: Map<string, string>;
  /** `occupantIds` came from the store (occupant-ids.ts): the next join keeps them. */
  idsRestored?: boolean;
  /** The timer that stores `occupantIds`. */
  idsTimer?: NodeJS.Timeout;
  /** XMPP occupants' Matrix power levels as last set (from affiliation and role); absent: 0. */
  levels: Map<string, number>;
  /** XMPP occupants' real addresses, where the room tells them (what a ban names). */
  realJids: Map<string, string>;
  /** Origin ids of sent messages waiting for their reflection. */
  reflections: Map<
    string,
    { resolve: (ids: RemoteMessageId[]) => void; reject: (e: Error) => void }
  >;
  /** Ids of private messages sent (private.ts) waiting for the room's refusal, if any. */
  privateSends: Map<
    string,
    { resolve: (ids: RemoteMessageId[]) => void; reject: (e: Error) => void }
  >;
  /** A message's own id (what corrections name) → the room's stanza-id (what the rest names). */
  ids: Lru<string, string>;
  /** The other way: a stanza-id → the message's own id. */
  origins: Lru<string, string>;
  /**
   * Stanza-ids already bridged (a second copy, after a reconnect, is dropped), each with the
   * ghost nick of the XMPP occupant who said it ('' for the room's own), what a XEP-0425
   * moderation reads (moderation.ts).
   */
  seen: Lru<string, string>;
  subject?: string;
  /** Per occupant (full address): the id of its subject change waiting for the room's answer. */
  subjectChanges: Map<string, string>;
  /** The last stanza-id seen (MAM catch-up starts after it), and the timer that stores it. */
  last?: { id: string; at: number };
  lastTimer?: NodeJS.Timeout;
  /** The next join of a reader catches up from the archive (set on each rejoin). */
  catchUp?: boolean;
  /** Outcasts' bare addresses as the bridge knows them (outcasts.ts; loaded from the store). */
  outcasts?: Set<string>;
  /** Whether the outcast list was read since the last (re)join (by an admin or owner occupant). */
  outcastsRead?: boolean;
  /** The XEP-0425 version the room advertises (moderation.ts), once asked. */
  moderation?: Promise<0 | 1 | undefined> | undefined;
}

export interface Stored {
  userId: MatrixUserId;
  wanted: string;
  nick: string;
}

export function newRoom(jid: string, password?: string): Room {
  return {
    jid,
    ...(password !== undefined ? { password, passwordFrom: 'config' as const } : {}),
    occupants: new Map(),
    remote: new Set(),
    ghostNicks: new Map(),
    occupantIds: new Map(),
    levels: new Map(),
    realJids: new Map(),
    reflections: new Map(),
    privateSends: new Map(),
    ids: new Lru(10_000),
    origins: new Lru(10_000),
    seen: new Lru(10_000),
    subjectChanges: new Map(),
  };
}

/** The nick an XMPP occupant's ghost is named by (their first nick, where the room gives occupant-ids). */
export const ghostNick = (room: Room, nick: string): string => room.ghostNicks.get(nick) ?? nick;

/** The nick in the room now of the occupant whose ghost is named by `ghost` (what kicks name). */
export function currentNick(room: Room, ghost: string): string {
  for (const [now, g] of room.ghostNicks) if (g === ghost) return now;
  return ghost;
}

/**
 * Notes an occupant's nick with their XEP-0421 occupant-id: the ghost of the first nick seen with
 * that id stays theirs under a new nick (after a nick change, or leaving and coming back).
 */
export function notedNick(room: Room, nick: string, occupantId: string | undefined): string {
  if (!occupantId) return ghostNick(room, nick);
  let ghost = room.occupantIds.get(occupantId);
  if (ghost === undefined) {
    // A newcomer never gets the ghost of someone who had this nick before: a name of its own.
    ghost = nick;
    for (let n = 2; ghostOfAnother(room, ghost, occupantId); n++) ghost = `${nick} [${n}]`;
    ghost = kept(ghost);
    room.occupantIds.set(kept(occupantId), ghost);
  }
  if (ghost === nick) room.ghostNicks.delete(nick);
  else room.ghostNicks.set(kept(nick), ghost);
  return ghost;
}

function ghostOfAnother(room: Room, ghost: string, occupantId: string): boolean {
  for (const [id, g] of room.occupantIds) if (g === ghost && id !== occupantId) return true;
  return false;
}

/** The occupant through which the bridge reads the room: its first joined Matrix user. */
/**
 * The key of the bridge's own occupant (`occupants: speakers`), which reads the room while no
 * Matrix user has spoken there: never a Matrix user id (those start with `@`).
 */
export const READER = '#reader' as MatrixUserId;

/** Whether an occupant is the bridge's own (no Matrix user to tell, nothing to store). */
export const isReader = (o: Occupant): boolean => o.userId === READER;

export function readerOf(room: Room): Occupant | undefined {
  for (const o of room.occupants.values()) if (o.state === 'joined') return o;
  return undefined;
}

/**
 * The occupant whose copy of the room's presences the bridge reads: the reader, or while none has
 * joined yet, the first joining one (a room sends the present occupants before the self-presence).
 */
export function presenceReaderOf(room: Room): Occupant | undefined {
  const reader = readerOf(room);
  if (reader) return reader;
  for (const o of room.occupants.values()) if (o.state === 'joining') return o;
  return undefined;
}

/** The Matrix user's occupant with this nick, if it is one of ours. */
export function ourOccupant(room: Room, nick: string): Occupant | undefined {
  for (const o of room.occupants.values()) if (o.nick === nick && o.state !== 'left') return o;
  return undefined;
}

/**
 * The room's answer to a stanza of ours, held in `pending` by its id until it comes (a
 * reflection, a refusal): after `ms` without one, it resolves with no ids (the send stands).
 */
export function answerOf(
  pending: Room['reflections'],
  id: string,
  ms: number,
): Promise<RemoteMessageId[]> {
  return new Promise<RemoteMessageId[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve([]);
    }, ms);
    timer.unref?.();
    pending.set(id, {
      resolve: (ids) => (clearTimeout(timer), resolve(ids)),
      reject: (err) => (clearTimeout(timer), reject(err)),
    });
  });
}

const REFLECTION_TIMEOUT_MS = 30_000;

/**
 * Where an occupant's messages to the room go (made once per occupant: its address does not
 * change); the room's reflection of each confirms it.
 */
export const groupchatRoute = (room: Room, o: Occupant): Route => ({
  type: 'groupchat',
  from: o.full,
  to: room.jid,
  ref: (id) => room.ids.get(id) ?? id,
  original: (id) => room.origins.get(id) ?? id,
  // Sent, but when the room never says so, the send stands.
  reflected: (id) => answerOf(room.reflections, id, REFLECTION_TIMEOUT_MS),
});

/** A message's own id ↔ the room's stanza-id of it (both read from its stanza: kept). */
export function mapIds(room: Room, own: string, stanzaId: string): void {
  const [id, sid] = [kept(own), kept(stanzaId)];
  room.ids.set(id, sid);
  room.origins.set(sid, id);
}

/** An occupant's Matrix power level: owner 100, admin or moderator 50, anyone else 0. */
export function powerLevelOf(affiliation?: string, role?: string): number {
  if (affiliation === 'owner') return 100;
  if (affiliation === 'admin' || role === 'moderator') return 50;
  return 0;
}
