/**
 * Merging a bridge's ghost levels into a room's `m.room.power_levels` content, as core's bot may
 * set them: the bot's own entry is never touched, nobody gets the bot's level or more (the bot
 * could never lower them again), users already at or above the bot's level are left alone, and
 * only ghosts of the bridge are changed. Pure, so the rules are unit-tested.
 */

type Json = Record<string, unknown>;

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/** The level a room asks to redact another user's event (`redact`; the spec's default, 50, when unset). */
export const redactLevel = (content: Json | undefined): number => num(content?.redact, 50);

export interface GhostLevels {
  /** The bridge bot's Matrix user id. */
  bot: string;
  /** The bot created the room in a room version where creators have infinite power (12+, MSC4289; not in `users`). */
  botIsCreator?: boolean;
  /** Matrix user id of a ghost → the level it should have. */
  levels: Map<string, number>;
  /** The levels are the whole list: other ghosts of the bridge (`isGhost`) lose their entries. */
  complete: boolean;
  isGhost(userId: string): boolean;
}

export type MergeResult =
  { changed: true; content: Json } | { changed: false; reason?: 'bot-lacks-power' };

/** The new content, or why nothing is to be sent (nothing changes, or the bot may not change the levels). */
export function mergeGhostLevels(current: Json, want: GhostLevels): MergeResult {
  const users: Record<string, unknown> =
    current.users && typeof current.users === 'object' && !Array.isArray(current.users)
      ? { ...(current.users as Json) }
      : {};
  const usersDefault = num(current.users_default, 0);
  const levelOf = (userId: string) => num(users[userId], usersDefault);
  const botLevel = want.botIsCreator ? Infinity : levelOf(want.bot);
  const events =
    current.events && typeof current.events === 'object' ? (current.events as Json) : {};
  const needed = num(events['m.room.power_levels'], num(current.state_default, 50));
  if (botLevel < needed) return { changed: false, reason: 'bot-lacks-power' };

  let changed = false;
  const set = (userId: string, level: number) => {
    if (userId === want.bot || levelOf(userId) >= botLevel) return; // never the bot, never its equals
    const capped = Math.min(Math.trunc(level), botLevel - 1);
    if (capped <= usersDefault) {
      if (userId in users) {
        delete users[userId];
        changed = true;
      }
      return;
    }
    if (users[userId] !== capped) {
      users[userId] = capped;
      changed = true;
    }
  };
  if (want.complete) {
    for (const userId of Object.keys(users))
      if (want.isGhost(userId) && !want.levels.has(userId)) set(userId, usersDefault);
  }
  for (const [userId, level] of want.levels) if (want.isGhost(userId)) set(userId, level);
  return changed ? { changed, content: { ...current, users } } : { changed: false };
}

/** Whether `user` is a creator of a room of version 12 or later (infinite power), from its create event. */
export function isInfiniteCreator(
  create: { sender: string; content: Json } | undefined,
  user: string,
): boolean {
  if (!create) return false;
  const version = Number(create.content.room_version ?? '1');
  if (!Number.isInteger(version) || version < 12) return false;
  const more = create.content.additional_creators;
  return create.sender === user || (Array.isArray(more) && more.includes(user));
}
