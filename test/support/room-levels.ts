// A room's power levels and join rule, read as the bridge bot (the rooms' creator) sees them.
import { roomState } from './bridge-harness.js';
import { testRegistration } from './synapse.js';

/** The bridge bot as a Matrix client (the appservice's token). */
export const bot = () => ({ accessToken: testRegistration().as_token });

/** The room's m.room.power_levels content. */
export const powerLevels = (roomId: string) =>
  roomState<{ users?: Record<string, number> }>(bot(), roomId, 'm.room.power_levels');

/** The room's join rule (public, invite, …). */
export const joinRule = async (roomId: string) =>
  (await roomState<{ join_rule: string }>(bot(), roomId, 'm.room.join_rules')).join_rule;
