/**
 * A MUC portal's catch-up from the room's archive (mam.ts) when a Matrix user's occupant is in
 * the room again after the bridge or the server was away, and the last stanza-id it starts
 * after (kept in the bridge's store a second after it changes, and at stop).
 */
import { onModeration } from './moderation.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal, safeJid } from '../ids.js';
import { MAX_CATCH_UP, type LastSeen, type MamQueries } from './mam.js';
import { roomNotice } from './room-notice.js';
import { ghostNick, mapIds, ourOccupant, type Occupant, type Room } from './muc-room.js';
import { parseMessage, type ParsedMessage } from '../connection/stanzas.js';
import { kept } from '../util/kept.js';

export const lastKey = (room: string) => `muc/${room}/last`;
/** Set once the room was told its archive could not be read (until a catch-up works). */
const archiveToldKey = (room: string) => `muc/${room}/archive-told`;

/** Remembers the room's last stanza-id (stored a second later, for the MAM catch-up). */
export function seenLast(d: XmppDeps, room: Room, stanzaId: string | undefined, at?: number): void {
  if (!stanzaId) return;
  room.last = { id: kept(stanzaId), at: at ?? Date.now() };
  if (room.lastTimer) return;
  room.lastTimer = setTimeout(() => {
    room.lastTimer = undefined;
    if (room.last) void d.ctx.kv.set(lastKey(room.jid), room.last).catch(() => undefined);
  }, 1_000);
  room.lastTimer.unref?.();
}

export interface CatchUpHost {
  d: XmppDeps;
  mam: MamQueries;
  /** Bridges one message of an XMPP occupant (inside the portal's chain). */
  bridgeMessage(room: Room, m: ParsedMessage, nick: string, stanzaId: string): Promise<void>;
}

/**
 * Queued in the portal's chain as soon as the occupant's join is confirmed, so that what the room
 * said meanwhile reaches Matrix before anything it says from now on. Once per rejoin.
 */
export function catchUp(host: CatchUpHost, room: Room, o: Occupant): void {
  if (!room.catchUp) return;
  room.catchUp = false;
  const { d } = host;
  const key = mucPortal(room.jid);
  void d.chain.run(
    key,
    async () => {
      const last = room.last ?? (await d.ctx.kv.get<LastSeen>(lastKey(room.jid)));
      if (!last) return; // never read before: a portal starts without history
      const { archived, cut } = await host.mam.since(d.link, room.jid, o.full, last);
      if (await d.ctx.kv.get<boolean>(archiveToldKey(room.jid)))
        await d.ctx.kv.delete(archiveToldKey(room.jid));
      let bridged = 0;
      for (const a of archived) {
        const m = parseMessage(a.message);
        const nick = safeJid(m.from)?.resource;
        if (m.type === 'groupchat' && !nick && m.moderated) {
          onModeration(d, room, m, a.id); // XEP-0425: a message removed meanwhile
          continue;
        }
        // Our own users' messages were bridged from Matrix; core drops what it bridged already.
        if (m.type !== 'groupchat' || !nick || ourOccupant(room, nick)) continue;
        if (room.seen.has(a.id)) continue;
        room.seen.set(kept(a.id), kept(ghostNick(room, nick)));
        if (m.originId) mapIds(room, m.originId, a.id);
        if (m.id) mapIds(room, m.id, a.id);
        await host.bridgeMessage(
          room,
          { ...m, delayedAt: a.at ?? m.delayedAt ?? Date.now() },
          nick,
          a.id,
        );
        seenLast(d, room, a.id, a.at);
        bridged++;
      }
      d.ctx.log.info(
        { portal: key, archived: archived.length, bridged, cut },
        'MUC caught up from its archive',
      );
      // Queued after this task in the portal's chain (awaited here, it would wait for itself).
      if (cut)
        void roomNotice(
          d,
          room,
          `More than ${MAX_CATCH_UP} messages were said in the XMPP room ${room.jid} while the bridge was away: the first ${MAX_CATCH_UP} are above; what was said after them, until now, is missing here (an XMPP client shows it).`,
        );
    },
    (err) => void archiveFailed(d, room, err).catch(() => undefined),
  );
}

/** The archive could not be read: logged each time, told in the room once until it can again. */
async function archiveFailed(d: XmppDeps, room: Room, err: unknown): Promise<void> {
  d.ctx.log.warn({ err, portal: mucPortal(room.jid) }, 'MUC archive catch-up failed');
  // A server without an archive fails at every start: the room would hear it each time.
  if (await d.ctx.kv.get<boolean>(archiveToldKey(room.jid))) return;
  await d.ctx.kv.set(archiveToldKey(room.jid), true);
  const why = err instanceof Error ? err.message : String(err);
  await roomNotice(
    d,
    room,
    `What the XMPP room ${room.jid} said while the bridge was away could not be fetched from its archive (${why}): it is missing here (an XMPP client shows it).`,
  );
}
