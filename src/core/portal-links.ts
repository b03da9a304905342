/**
 * Linking and unlinking rooms to remote chats, with the permission rule shared
 * by bot commands and the provisioning API: bridge admins, or users with power
 * level ≥ 50 in the room.
 */
import { portalKey, type MatrixRoomId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import type { PortalRow } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { PortalDirectory } from './portals.js';

/** Power level a non-admin needs in a room to link or unlink it. */
export const LINK_POWER_LEVEL = 50;

export class PermissionError extends Error {}

export class PortalLinks {
  constructor(
    private readonly portals: PortalDirectory,
    private readonly client: MatrixClient,
  ) {}

  list(bridge?: string): Promise<PortalRow[]> {
    return this.portals.list(bridge);
  }

  /** `user` undefined means a trusted caller (the provisioning API, with its secret). */
  async link(runtime: BridgeRuntime, remote: string, roomId: string, user?: string, isAdmin = false): Promise<PortalRow> {
    // Room v12 ids have no server part (`!abc`); older ones do (`!abc:example.org`).
    if (!/^![^\s:]+(:\S+)?$/.test(roomId)) throw new Error(`\`${roomId}\` is not a room id (they look like !abc:example.org, or !abc in room v12)`);
    await this.client.join(roomId); // to read its power levels; fails clearly when the bot was not invited
    if (user && !isAdmin) await this.requirePower(roomId, user);
    const row = await this.portals.link(runtime, remote, roomId);
    await runtime.connector.portalLinked?.({ key: portalKey(remote), roomId: roomId as MatrixRoomId });
    return row;
  }

  async unlink(runtime: BridgeRuntime, remote: string, user?: string, isAdmin = false): Promise<PortalRow | undefined> {
    const row = await this.portals.get(runtime.id, remote);
    if (!row) return undefined;
    if (user && !isAdmin) await this.requirePower(row.roomId, user);
    await this.portals.unlink(runtime.id, remote);
    await runtime.connector.portalUnlinked?.({ key: portalKey(remote), roomId: row.roomId as MatrixRoomId });
    return row;
  }

  private async requirePower(roomId: string, user: string): Promise<void> {
    const levels = (await this.client.getState(roomId, 'm.room.power_levels', '').catch(() => ({}))) as {
      users?: Record<string, unknown>;
      users_default?: unknown;
    };
    const level = Number(levels.users?.[user] ?? levels.users_default ?? 0);
    if (!(level >= LINK_POWER_LEVEL)) {
      throw new PermissionError(`you need power level ${LINK_POWER_LEVEL} in ${roomId} to change its links (you have ${level})`);
    }
  }
}
