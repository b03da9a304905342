// A room's power levels and join rule, read as the bridge bot (the rooms' creator) sees them.
import { asUser, roomState } from './bridge-harness.js';
import { testRegistration } from './synapse.js';

/** The bridge bot as a Matrix client (the appservice's token). */
export const bot = () => ({ accessToken: testRegistration().as_token });

/** The room's m.room.power_levels content. */
export const powerLevels = (roomId: string) =>
  roomState<{ users?: Record<string, number> }>(bot(), roomId, 'm.room.power_levels');

/** The room's join rule (public, invite, …). */
export const joinRule = async (roomId: string) =>
  (await roomState<{ join_rule: string }>(bot(), roomId, 'm.room.join_rules')).join_rule;

/**
 * Sets the level needed to send events of `type` in the room (undefined: the room's default
 * again), as `who` (the bridge bot, the rooms' creator, unless another admin of the room is named).
 */
export async function setEventLevel(
  roomId: string,
  type: string,
  level: number | undefined,
  who: { accessToken: string } = bot(),
): Promise<void> {
  type Levels = { events?: Record<string, number> } & Record<string, unknown>;
  const levels = await roomState<Levels>(who, roomId, 'm.room.power_levels');
  const events = { ...levels.events };
  if (level === undefined) delete events[type];
  else events[type] = level;
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`;
  await asUser(who, 'PUT', path, { ...levels, events });
}
