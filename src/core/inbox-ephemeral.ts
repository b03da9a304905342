/**
 * What the homeserver sends beside the stored events, to the bridges that show it: Matrix users'
 * read receipts and typing, in their room's order, and their presence, in order per user. None is
 * stored: each is fleeting, so a failure is logged and dropped, never retried.
 */
import {
  canPresence,
  canReceipt,
  canType,
  type MatrixEventId,
  type MatrixRoomId,
  type MatrixUserId,
  type PortalKey,
  type RemoteMessageId,
} from '../connector.js';
import type { EphemeralEvent } from '../matrix/events.js';
import type { InboxRouterDeps } from './inbox-router.js';
import { findAfterSend } from './sends-in-flight.js';

type Deps = Pick<
  InboxRouterDeps,
  'queue' | 'runtimes' | 'portals' | 'store' | 'botUserId' | 'log' | 'inFlight'
>;

export class EphemeralRouter {
  /**
   * Read receipts waiting for their room's turn, the newest per user: receipts that arrive while
   * one is queued only replace it, so a burst costs one look-up and one call per user.
   */
  private readonly receipts = new Map<string, Map<string, { eventId: string; ts?: number }>>();
  /** Who was typing in each room at the last m.typing snapshot. */
  private readonly typing = new Map<string, Set<string>>();

  /** `bridgeOf`: the bridge whose ghost a user is (none for Matrix users). */
  constructor(
    private readonly deps: Deps,
    private readonly bridgeOf: (userId: string) => string | undefined,
  ) {}

  enqueue(ev: EphemeralEvent): void {
    if (ev.type === 'm.presence') return this.enqueuePresence(ev);
    const roomId = ev.room_id;
    if (typeof roomId !== 'string') return;
    if (ev.type === 'm.typing')
      this.deps.queue.push(roomId, () => this.routeTyping(roomId, ev.content));
    else if (ev.type === 'm.receipt') this.enqueueReceipts(roomId, ev.content);
  }

  /** A Matrix user's presence, to each bridge that shows it (never a ghost's or the bot's). */
  private enqueuePresence(ev: EphemeralEvent): void {
    const userId = ev.sender;
    const { presence, status_msg: statusMsg } = ev.content as {
      presence?: unknown;
      status_msg?: unknown;
    };
    if (typeof userId !== 'string' || userId === this.deps.botUserId) return;
    if (presence !== 'online' && presence !== 'unavailable' && presence !== 'offline') return;
    if (this.bridgeOf(userId) !== undefined) return;
    for (const runtime of this.deps.runtimes.values()) {
      const { connector } = runtime;
      if (!canPresence(connector)) continue;
      // In order per user; a presence is fleeting: a failure is dropped, not retried.
      this.deps.queue.push(`presence\n${userId}`, async () => {
        if (runtime.state !== 'running') return;
        await connector
          .handleMatrixPresence({
            userId: userId as MatrixUserId,
            presence,
            ...(typeof statusMsg === 'string' && statusMsg ? { statusMsg } : {}),
          })
          .catch((err: unknown) =>
            this.deps.log.debug({ err, bridge: runtime.id, userId }, 'presence not delivered'),
          );
      });
    }
  }

  private enqueueReceipts(roomId: string, content: Record<string, unknown>): void {
    const reads = newestReads(content);
    if (reads.size === 0) return;
    const waiting = this.receipts.get(roomId);
    if (waiting) {
      for (const [userId, read] of reads) {
        const before = waiting.get(userId);
        if (!before || (read.ts ?? Infinity) >= (before.ts ?? 0)) waiting.set(userId, read);
      }
      return;
    }
    this.receipts.set(roomId, reads);
    this.deps.queue.push(roomId, () => this.routeReceipts(roomId));
  }

  private async routeReceipts(roomId: string): Promise<void> {
    const reads = this.receipts.get(roomId);
    this.receipts.delete(roomId);
    if (!reads) return;
    const isBridged = (u: string) => u === this.deps.botUserId || this.bridgeOf(u) !== undefined;
    for (const portal of await this.deps.portals.inRoom(roomId)) {
      const runtime = this.deps.runtimes.get(portal.bridge);
      if (!runtime || !canReceipt(runtime.connector)) continue;
      for (const [userId, read] of reads) {
        if (isBridged(userId)) continue;
        // An event the user read before the bridge read the homeserver's answer to its send waits for it.
        const row = await findAfterSend(this.deps.inFlight, roomId, () =>
          this.deps.store.messages.byEvent(runtime.id, read.eventId),
        );
        if (!row || row.portalKey !== portal.portalKey) continue; // not an event of this portal
        await runtime.connector
          .handleMatrixReceipt({
            portal: portal.portalKey as PortalKey,
            roomId: roomId as MatrixRoomId,
            userId: userId as MatrixUserId,
            eventId: read.eventId as MatrixEventId,
            target: row.remoteId as RemoteMessageId,
            ...(read.ts !== undefined ? { ts: read.ts } : {}),
          })
          .catch((err: unknown) => this.deps.log.debug({ err, roomId }, 'receipt not delivered'));
      }
    }
  }

  private async routeTyping(roomId: string, content: unknown): Promise<void> {
    const ids = (content as { user_ids?: unknown } | undefined)?.user_ids;
    const now = new Set(
      Array.isArray(ids) ? ids.filter((u): u is string => typeof u === 'string') : [],
    );
    const before = this.typing.get(roomId) ?? new Set<string>();
    this.typing.set(roomId, now);
    const isBridged = (u: string) => u === this.deps.botUserId || this.bridgeOf(u) !== undefined;
    const changes: [string, boolean][] = [
      ...[...now].filter((u) => !before.has(u)).map((u): [string, boolean] => [u, true]),
      ...[...before].filter((u) => !now.has(u)).map((u): [string, boolean] => [u, false]),
    ].filter(([u]) => !isBridged(u));
    if (changes.length === 0) return;
    for (const portal of await this.deps.portals.inRoom(roomId)) {
      const runtime = this.deps.runtimes.get(portal.bridge);
      if (!runtime || !canType(runtime.connector)) continue;
      for (const [userId, typing] of changes) {
        await runtime.connector
          .handleMatrixTyping({
            portal: portal.portalKey as PortalKey,
            roomId: roomId as MatrixRoomId,
            userId: userId as MatrixUserId,
            typing,
          })
          .catch((err: unknown) => this.deps.log.debug({ err, roomId }, 'typing not delivered'));
      }
    }
  }
}

/**
 * The newest public read receipt (`m.read`) of each user in an `m.receipt` EDU's content
 * (`{ <event id>: { "m.read": { <user id>: { ts } } } }`); threaded receipts count like others.
 */
export function newestReads(
  content: Record<string, unknown>,
): Map<string, { eventId: string; ts?: number }> {
  const out = new Map<string, { eventId: string; ts?: number }>();
  for (const [eventId, byType] of Object.entries(content)) {
    if (!eventId.startsWith('$') || typeof byType !== 'object' || byType === null) continue;
    const read = (byType as Record<string, unknown>)['m.read'];
    if (typeof read !== 'object' || read === null) continue;
    for (const [userId, info] of Object.entries(read as Record<string, unknown>)) {
      if (!userId.startsWith('@')) continue;
      const raw = (info as { ts?: unknown } | null)?.ts;
      const ts = typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
      const before = out.get(userId);
      if (before && (ts ?? -Infinity) < (before.ts ?? -Infinity)) continue;
      out.set(userId, ts !== undefined ? { eventId, ts } : { eventId });
    }
  }
  return out;
}
