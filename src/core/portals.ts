/** Portals: which Matrix room stands for which remote chat, and making rooms for them. */
import type { Logger } from 'pino';
import type { PortalInfo, PortalKey, PortalRecord, MatrixRoomId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import type { PortalRow, Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import { escapeLocalpart } from './ghost-ids.js';

export const toRecord = (row: PortalRow): PortalRecord => ({
  key: row.portalKey as PortalKey,
  roomId: row.roomId as MatrixRoomId,
});

export class PortalDirectory {
  /** Portals per room: every event consults it, so it is cached. */
  private readonly roomCache = new Map<string, PortalRow[]>();
  /** Portals by bridge and key: every remote event looks its portal up, so it is cached too. */
  private readonly keyCache = new Map<string, PortalRow>();
  /** Bumped by every change, so a lookup that raced one does not cache what it read before it. */
  private changes = 0;
  private readonly creating = new Map<string, Promise<PortalRow>>();
  /** Rooms linked to their space since start (`bridge\nkey`), so it is done once per start. */
  private readonly inSpace = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly client: MatrixClient,
    private readonly botUserId: string,
    private readonly log: Logger,
  ) {}

  async inRoom(roomId: string): Promise<PortalRow[]> {
    let rows = this.roomCache.get(roomId);
    if (!rows) {
      rows = await this.store.portals.byRoom(roomId);
      this.roomCache.set(roomId, rows);
    }
    return rows;
  }

  async get(bridge: string, key: string): Promise<PortalRow | undefined> {
    const id = `${bridge}\n${key}`;
    const cached = this.keyCache.get(id);
    if (cached) return cached;
    const before = this.changes;
    const row = await this.store.portals.get(bridge, key);
    if (row && before === this.changes) this.keyCache.set(id, row);
    return row;
  }

  list(bridge?: string): Promise<PortalRow[]> {
    return this.store.portals.list(bridge);
  }

  /** The portal's row, creating its room (with alias `#<aliasLocalpart>`) when there is none. */
  ensure(runtime: BridgeRuntime, info: PortalInfo, aliasLocalpart?: string): Promise<PortalRow> {
    const id = `${runtime.id}\n${info.key}`;
    let pending = this.creating.get(id);
    if (!pending) {
      pending = this.findOrCreate(runtime, info, aliasLocalpart).finally(() =>
        this.creating.delete(id),
      );
      this.creating.set(id, pending);
    }
    if (!info.parent || this.inSpace.has(id)) return pending;
    const parent = info.parent;
    return pending.then(async (row) => {
      await this.linkToSpace(runtime, parent, row);
      return row;
    });
  }

  /** `m.space.child` in the parent space's room, `m.space.parent` in the child's (best effort). */
  private async linkToSpace(runtime: BridgeRuntime, parent: string, row: PortalRow): Promise<void> {
    const id = `${runtime.id}\n${row.portalKey}`;
    if (this.inSpace.has(id)) return;
    this.inSpace.add(id);
    const space = await this.get(runtime.id, parent);
    if (!space) {
      this.inSpace.delete(id);
      this.log.warn(
        { bridge: runtime.id, portal: row.portalKey, parent },
        'the space of a portal has no room: make it first (ensurePortal with space: true)',
      );
      return;
    }
    const via = [this.botUserId.slice(this.botUserId.indexOf(':') + 1)];
    try {
      await this.client.putState(space.roomId, 'm.space.child', row.roomId, { via });
      await this.client.putState(row.roomId, 'm.space.parent', space.roomId, {
        via,
        canonical: true,
      });
    } catch (err) {
      this.inSpace.delete(id);
      this.log.warn(
        { err, bridge: runtime.id, portal: row.portalKey, roomId: row.roomId },
        'could not add a portal to its space (the bot needs power to send state in both rooms)',
      );
    }
  }

  /** Points `alias` at the room unless it already exists (the room may have been made with it). */
  async ensureAlias(alias: string, roomId: string): Promise<void> {
    // Not resolveAlias first: the homeserver would ask this very alias query again, and again.
    await this.client.createAlias(alias, roomId).catch((err: unknown) => {
      if ((err as { status?: number }).status !== 409) throw err; // 409: it exists already
    });
  }

  /** Links an existing room (the bot must be able to join it) to a remote chat. */
  async link(runtime: BridgeRuntime, key: string, roomId: string): Promise<PortalRow> {
    await this.save(runtime.id, key, roomId);
    for (const s of bridgeState(runtime, key, this.botUserId)) {
      await this.client
        .putState(roomId, s.type, s.state_key, s.content)
        .catch((err: unknown) =>
          this.log.warn(
            { err, roomId },
            'could not set m.bridge state (the bot needs power to send state)',
          ),
        );
    }
    return (await this.get(runtime.id, key))!;
  }

  async unlink(bridge: string, key: string): Promise<PortalRow | undefined> {
    const row = await this.get(bridge, key);
    if (!row) return undefined;
    await this.store.portals.delete(bridge, key);
    this.changes++;
    this.keyCache.delete(`${bridge}\n${key}`);
    this.roomCache.delete(row.roomId);
    return row;
  }

  private async findOrCreate(
    runtime: BridgeRuntime,
    info: PortalInfo,
    aliasLocalpart?: string,
  ): Promise<PortalRow> {
    const existing = await this.get(runtime.id, info.key);
    if (info.roomId && existing?.roomId !== info.roomId)
      return this.linkGiven(runtime, info.key, info.roomId, existing);
    if (existing) return existing;
    // The bot creates the room, so it holds the power (room v12 creators outrank every level).
    const roomId = await this.client.createRoom({
      visibility: 'private',
      preset: info.joinRule === 'invite' ? 'private_chat' : 'public_chat',
      ...(aliasLocalpart ? { room_alias_name: aliasLocalpart } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(info.topic ? { topic: info.topic } : {}),
      ...(info.invite?.length ? { invite: info.invite } : {}),
      ...(info.isDirect ? { is_direct: true } : {}),
      ...(info.space ? { creation_content: { type: 'm.space' } } : {}),
      initial_state: bridgeState(runtime, info.key, this.botUserId, info.name),
    });
    await this.save(runtime.id, info.key, roomId);
    this.log.info({ bridge: runtime.id, portal: info.key, roomId }, 'portal room created');
    return (await this.get(runtime.id, info.key))!;
  }

  /** A portal mapped to an existing room: the bot joins it and links it, replacing an older link. */
  private async linkGiven(
    runtime: BridgeRuntime,
    key: string,
    roomId: string,
    existing: PortalRow | undefined,
  ): Promise<PortalRow> {
    await this.client.join(roomId).catch((err: unknown) => {
      throw new Error(
        `the bridge bot could not join ${roomId} to link it to ${key}: invite ${this.botUserId} to it (${(err as Error).message})`,
      );
    });
    const row = await this.link(runtime, key, roomId);
    if (existing)
      this.log.warn(
        { bridge: runtime.id, portal: key, roomId, before: existing.roomId },
        'portal moved to the room it is mapped to; its old room is no longer bridged',
      );
    else this.log.info({ bridge: runtime.id, portal: key, roomId }, 'portal linked to its room');
    return row;
  }

  private async save(bridge: string, key: string, roomId: string): Promise<void> {
    const old = await this.get(bridge, key);
    await this.store.portals.upsert({
      bridge,
      portalKey: key,
      roomId,
      metadata: old?.metadata ?? '{}',
    });
    this.changes++;
    this.keyCache.delete(`${bridge}\n${key}`);
    this.roomCache.delete(roomId);
    if (old) this.roomCache.delete(old.roomId);
  }
}

/** `m.bridge` and the older `uk.half-shot.bridge` state (MSC2346), same content. */
function bridgeState(runtime: BridgeRuntime, key: string, bot: string, name?: string) {
  const content = {
    bridgebot: bot,
    creator: bot,
    protocol: { id: runtime.id, displayname: runtime.connector.displayName },
    channel: { id: key, ...(name ? { displayname: name } : {}) },
  };
  const stateKey = `org.switchboard://${runtime.id}/${escapeLocalpart(key)}`;
  return ['m.bridge', 'uk.half-shot.bridge'].map((type) => ({
    type,
    state_key: stateKey,
    content,
  }));
}
