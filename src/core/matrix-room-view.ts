/**
 * `matrixRoom` of the bridge context (gateways): the bot (or a ghost) resolves the alias, joins
 * the room and reads its state: name, topic, canonical alias, join rule, levels and joined members.
 */
import type { MatrixRoomId, MatrixRoomView, MatrixUserId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import { redactLevel } from './power-levels.js';

export async function readMatrixRoom(
  client: Pick<MatrixClient, 'resolveAlias' | 'join' | 'roomState'>,
  aliasOrId: string,
  /** Who joins and reads it: the bot when unset, else that user (a ghost). */
  asUser?: string,
  /** Whether a member is the bridge bot or a ghost of one of the bridges (marked `bridged`). */
  isBridgeUser: (userId: string) => boolean = () => false,
): Promise<MatrixRoomView | undefined> {
  let roomId = aliasOrId;
  let via: string[] = [];
  if (aliasOrId.startsWith('#')) {
    const found = await client.resolveAlias(aliasOrId);
    if (!found) return undefined;
    roomId = found.roomId;
    via = found.servers;
  }
  roomId = await client.join(roomId, asUser, via);
  const state = await client.roomState(roomId, asUser);
  const one = (type: string) => state.find((e) => e.type === type && e.state_key === '')?.content;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const levels = one('m.room.power_levels') ?? {};
  const users = (levels.users ?? {}) as Record<string, unknown>;
  const usersDefault = typeof levels.users_default === 'number' ? levels.users_default : 0;
  // Rooms v12 on: the creators (the create event's sender and additional_creators) outrank all.
  const create = state.find((e) => e.type === 'm.room.create' && e.state_key === '');
  const version = Number(create?.content.room_version ?? '1');
  const extra = create?.content.additional_creators;
  const creators = new Set(
    Number.isInteger(version) && version >= 12 && create
      ? [create.sender, ...(Array.isArray(extra) ? extra.filter((u) => typeof u === 'string') : [])]
      : [],
  );
  const name = str(one('m.room.name')?.name);
  const topic = str(one('m.room.topic')?.topic);
  const alias = str(one('m.room.canonical_alias')?.alias);
  const canonicalAlias = alias && /^#[^:\s]+:\S+$/.test(alias) ? alias : undefined;
  return {
    roomId: roomId as MatrixRoomId,
    ...(name ? { name } : {}),
    ...(topic ? { topic } : {}),
    ...(canonicalAlias ? { canonicalAlias } : {}),
    joinRule: str(one('m.room.join_rules')?.join_rule) ?? 'invite',
    redactLevel: redactLevel(levels),
    members: state
      .filter((e) => e.type === 'm.room.member' && e.content.membership === 'join')
      .map((e) => {
        const displayName = str(e.content.displayname);
        const level = users[e.state_key];
        return {
          userId: e.state_key as MatrixUserId,
          ...(displayName ? { displayName } : {}),
          powerLevel: typeof level === 'number' ? level : usersDefault,
          ...(creators.has(e.state_key) ? { creator: true } : {}),
          ...(isBridgeUser(e.state_key) ? { bridged: true } : {}),
        };
      }),
  };
}
