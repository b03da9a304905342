/**
 * Linking and unlinking rooms to remote chats, with the permission rule shared
 * by bot commands and the provisioning API: bridge admins, or users with power
 * level ≥ 50 in the room.
 */
import { portalKey, type LinkOptions, type MatrixRoomId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import type { StateEvent } from '../matrix/room-client.js';
import type { PortalRow } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { PortalDirectory } from './portals.js';

/** Power level a non-admin needs in a room to link or unlink it. */
export const LINK_POWER_LEVEL = 50;

export class PermissionError extends Error {}

/** The bridge refused the remote id (`Connector.validateLink`): nothing was linked. */
export class LinkRefusedError extends Error {}

export class PortalLinks {
  constructor(
    private readonly portals: PortalDirectory,
    private readonly client: MatrixClient,
  ) {}

  list(bridge?: string): Promise<PortalRow[]> {
    return this.portals.list(bridge);
  }

  /**
   * `by.user` undefined means a trusted caller (the provisioning API, with its secret).
   * `by.options` are the bridge's settings for this link (never logged: they may be secrets).
   */
  async link(
    runtime: BridgeRuntime,
    remote: string,
    roomId: string,
    by: { user?: string; isAdmin?: boolean; options?: LinkOptions } = {},
  ): Promise<PortalRow> {
    const { user, isAdmin = false, options = {} } = by;
    // Room v12 ids have no server part (`!abc`); older ones do (`!abc:example.org`).
    if (!/^![^\s:]+(:\S+)?$/.test(roomId))
      throw new Error(
        `\`${roomId}\` is not a room id (they look like !abc:example.org, or !abc in room v12)`,
      );
    const unknown = optionsRefusal(runtime, options);
    if (unknown) throw new LinkRefusedError(unknown);
    await this.client.join(roomId); // to read its power levels; fails clearly when the bot was not invited
    if (user && !isAdmin) await this.requirePower(roomId, user);
    // The bridge's own check (a remote chat it cannot serve), before anything is recorded.
    const refused = await runtime.connector.validateLink?.(portalKey(remote), options);
    if (refused) throw new LinkRefusedError(`${runtime.id} cannot link \`${remote}\`: ${refused}`);
    const row = await this.portals.link(runtime, remote, roomId);
    await runtime.connector.portalLinked?.(
      { key: portalKey(remote), roomId: roomId as MatrixRoomId },
      options,
    );
    return row;
  }

  async unlink(
    runtime: BridgeRuntime,
    remote: string,
    user?: string,
    isAdmin = false,
  ): Promise<PortalRow | undefined> {
    const row = await this.portals.get(runtime.id, remote);
    if (!row) return undefined;
    if (user && !isAdmin) await this.requirePower(row.roomId, user);
    await this.portals.unlink(runtime.id, remote);
    await runtime.connector.portalUnlinked?.({
      key: portalKey(remote),
      roomId: row.roomId as MatrixRoomId,
    });
    return row;
  }

  private async requirePower(roomId: string, user: string): Promise<void> {
    const level = userPowerLevel(await this.client.roomState(roomId).catch(() => []), user);
    if (!(level >= LINK_POWER_LEVEL)) {
      throw new PermissionError(
        `you need power level ${LINK_POWER_LEVEL} in ${roomId} to change its links (you have ${level})`,
      );
    }
  }
}

/** Why a link's options are refused: names the bridge does not take (`Connector.linkOptions`). */
function optionsRefusal(runtime: BridgeRuntime, options: LinkOptions): string | undefined {
  const known = runtime.connector.linkOptions ?? [];
  const unknown = Object.keys(options).filter((name) => !known.includes(name));
  if (unknown.length === 0) return undefined;
  const takes = known.length > 0 ? `only ${known.map((n) => `"${n}"`).join(', ')}` : 'none';
  return `${runtime.id} takes no link option ${unknown.map((n) => `"${n}"`).join(', ')} (it takes ${takes})`;
}

/**
 * A user's power level from the room's state, as the auth rules compute it: in room v12 (MSC4289)
 * the creators (the create event's sender and `additional_creators`) outrank every level and are
 * not listed in m.room.power_levels; without a power-levels event the creator has 100.
 */
export function userPowerLevel(state: StateEvent[], user: string): number {
  const create = state.find((e) => e.type === 'm.room.create' && e.state_key === '');
  const version = String(create?.content.room_version ?? '1');
  const privilegedCreators = /^\d+$/.test(version)
    ? Number(version) >= 12
    : version === 'org.matrix.hydra.11';
  if (create && privilegedCreators) {
    const additional = create.content.additional_creators;
    if (create.sender === user || (Array.isArray(additional) && additional.includes(user)))
      return Infinity;
  }
  const levels = state.find((e) => e.type === 'm.room.power_levels' && e.state_key === '')?.content;
  if (!levels) return create && (create.content.creator ?? create.sender) === user ? 100 : 0;
  const users = (levels.users ?? {}) as Record<string, unknown>;
  return Number(users[user] ?? levels.users_default ?? 0);
}
