/**
 * Which Matrix event a remote message became, and back: for edits, replies,
 * reactions and redactions across the bridge.
 */
import type { Kysely, Selectable } from 'kysely';
import { CompiledStatement } from './compiled-query.js';
import type { GroupCommit } from './group-commit.js';
import type { Database, MessageMapTable } from './schema.js';
import type { MessageMap, MessageMapping } from './store.js';

function toMapping(row: Selectable<MessageMapTable>): MessageMapping {
  return {
    bridge: row.bridge,
    portalKey: row.portal_key,
    remoteId: row.remote_id,
    roomId: row.room_id,
    eventId: row.event_id,
  };
}

/** The statements of the message map, compiled once per store (for its dialect). */
export class MappingStatements {
  /** Insert-or-ignore: the first event a remote message became stays its mapping. */
  readonly insert = new CompiledStatement<MessageMapping, unknown>((db, arg) =>
    db
      .insertInto('message_map')
      .values({
        bridge: arg('bridge'),
        portal_key: arg('portalKey'),
        remote_id: arg('remoteId'),
        room_id: arg('roomId'),
        event_id: arg('eventId'),
      })
      .onConflict((oc) => oc.columns(['bridge', 'portal_key', 'remote_id']).doNothing()),
  );

  readonly byEvent = new CompiledStatement<
    { bridge: string; eventId: string },
    Selectable<MessageMapTable>
  >((db, arg) =>
    db
      .selectFrom('message_map')
      .selectAll()
      .where('bridge', '=', arg('bridge'))
      .where('event_id', '=', arg('eventId')),
  );

  readonly byRemote = new CompiledStatement<
    { bridge: string; portalKey: string; remoteId: string },
    Selectable<MessageMapTable>
  >((db, arg) =>
    db
      .selectFrom('message_map')
      .selectAll()
      .where('bridge', '=', arg('bridge'))
      .where('portal_key', '=', arg('portalKey'))
      .where('remote_id', '=', arg('remoteId')),
  );

  async add(db: Kysely<Database>, m: MessageMapping): Promise<void> {
    await this.insert.execute(db, m);
  }
}

const remoteKey = (bridge: string, portalKey: string, remoteId: string) =>
  `${bridge}\n${portalKey}\n${remoteId}`;
const eventKey = (bridge: string, eventId: string) => `${bridge}\n${eventId}`;

/**
 * Mappings queued for a commit and not yet committed. The outbox commits a sent message's mapping
 * while the room's next message is already on its way, so lookups look here first: the next
 * event of the room (an edit of the message, say) must find it.
 */
export class PendingMappings {
  private readonly byRemoteKey = new Map<string, MessageMapping>();
  private readonly byEventKey = new Map<string, MessageMapping>();

  /** Holds `m` until `committed` settles. */
  hold(m: MessageMapping, committed: Promise<unknown>): void {
    const rk = remoteKey(m.bridge, m.portalKey, m.remoteId);
    const ek = eventKey(m.bridge, m.eventId);
    this.byRemoteKey.set(rk, m);
    // One event may carry several remote ids: the smallest answers (as byEvent does), whichever
    // was held first.
    const held = this.byEventKey.get(ek);
    if (!held || m.remoteId < held.remoteId) this.byEventKey.set(ek, m);
    const release = () => {
      if (this.byRemoteKey.get(rk) === m) this.byRemoteKey.delete(rk);
      if (this.byEventKey.get(ek) === m) this.byEventKey.delete(ek);
    };
    committed.then(release, release);
  }

  /** Lets go of `eventId`'s mapping before its commit settles (it is being removed). */
  forget(bridge: string, eventId: string): void {
    const m = this.byEventKey.get(eventKey(bridge, eventId));
    if (!m) return;
    this.byEventKey.delete(eventKey(bridge, eventId));
    this.byRemoteKey.delete(remoteKey(m.bridge, m.portalKey, m.remoteId));
  }

  byRemote(bridge: string, portalKey: string, remoteId: string): MessageMapping | undefined {
    return this.byRemoteKey.get(remoteKey(bridge, portalKey, remoteId));
  }

  byEvent(bridge: string, eventId: string): MessageMapping | undefined {
    return this.byEventKey.get(eventKey(bridge, eventId));
  }
}

export function createMessageMap(
  db: Kysely<Database>,
  writes: GroupCommit,
  pending: PendingMappings,
  statements: MappingStatements,
): MessageMap {
  return {
    // Not flushed on its own: a mapping lost to a power cut only leaves that message's later
    // edits and replies unlinked. Held until committed, so lookups need not wait for the commit;
    // so nobody waits for it either, and it rides in the next group (a busy room's messages
    // then share commits, not one each), or commits within the lazy delay.
    add(row) {
      const committed = writes.runLazily((trx) => statements.add(trx, row));
      pending.hold(row, committed);
      return committed;
    },

    remove(bridge, eventId) {
      pending.forget(bridge, eventId);
      // Queued after the add it undoes (one writer, in order), so it never lands first.
      return writes.run(async (trx) => {
        await trx
          .deleteFrom('message_map')
          .where('bridge', '=', bridge)
          .where('event_id', '=', eventId)
          .execute();
      }, false);
    },

    async byEvent(bridge, eventId) {
      // One event may carry several remote ids (IRC: its own `m:` id, then the server's msgid):
      // the smallest (by code unit, whatever the database's collation) answers, the same one
      // every time, while they commit and after.
      const { rows } = await statements.byEvent.execute(db, { bridge, eventId });
      const held = pending.byEvent(bridge, eventId);
      return [...rows.map(toMapping), ...(held ? [held] : [])].reduce<MessageMapping | undefined>(
        (min, m) => (!min || m.remoteId < min.remoteId ? m : min),
        undefined,
      );
    },

    async byRemote(bridge, portalKey, remoteId) {
      const held = pending.byRemote(bridge, portalKey, remoteId);
      if (held) return held;
      const row = await statements.byRemote.first(db, { bridge, portalKey, remoteId });
      return row && toMapping(row);
    },
  };
}
