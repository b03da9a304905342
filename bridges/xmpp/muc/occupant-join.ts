/**
 * An occupant of ours joining and leaving a MUC: the join's presence (with the user's own
 * presence and avatar hash), settled when the room confirms it (muc-presence.ts) or after a
 * timeout; a later join (a retry after a nick conflict, a rejoin after a reconnect) takes over
 * the earlier one's waiters.
 */
import { BridgeError } from '../../../src/connector.js';
import { buildJoin, buildLeave } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import type { Occupant, Room } from './muc-room.js';
import { presenceOf } from './own-presence.js';

const JOIN_TIMEOUT_MS = 15_000;

/**
 * Sends the occupant's join and resolves when the room confirms it. A join still waiting (a
 * retry after a nick conflict, a rejoin after a reconnect) settles with this one.
 */
export function joinOccupant(d: XmppDeps, room: Room, o: Occupant, first = false): Promise<void> {
  const previous = o.settle;
  o.state = 'joining';
  let settle!: (err?: Error) => void;
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => settle(new BridgeError('network', `${room.jid} did not answer the join`, true)),
      JOIN_TIMEOUT_MS,
    );
    timer.unref?.();
    settle = (err) => {
      clearTimeout(timer);
      // A later join that took over owns the occupant's state; this one only settles its waiters.
      const current = o.settle === settle;
      if (current) o.settle = undefined;
      if (err) {
        if (current) o.state = 'left';
        reject(err);
      } else resolve();
    };
  });
  o.settle = settle;
  o.joined = joined;
  joined.catch(() => undefined);
  if (previous)
    joined.then(
      () => previous(),
      (err: Error) => previous(err),
    );
  d.link
    .send(buildJoin(o.full, `${room.jid}/${o.nick}`, presenceOf(d, o), room.password), { first })
    .catch((err: unknown) => {
      settle(new BridgeError('network', `could not join ${room.jid}: ${String(err)}`, true));
    });
  return joined;
}

/** The occupant leaves the room (with the Matrix user's reason, if any). */
export function leaveOccupant(d: XmppDeps, room: Room, o: Occupant, status?: string): void {
  o.state = 'left';
  void d.link.send(buildLeave(o.full, `${room.jid}/${o.nick}`, status)).catch(() => undefined);
}
