/**
 * Config pieces for channel membership and modes (under `bridges.irc.networks.<id>`): channel
 * entries that may carry a key (+k), and the map from channel prefix modes to Matrix power levels.
 */
import { z } from 'zod';

const CHANNEL = /^[#&][^\s,\x07\x00\r\n]{1,63}$/;
/** A channel key goes into `JOIN #chan key`: one parameter, so no space, comma, CR, LF or NUL. */
const KEY = /^[^\s,\x00\r\n]{1,64}$/;

export const isChannelKey = (key: string): boolean => KEY.test(key);
export const CHANNEL_KEY_RULE =
  'a channel key is 1 to 64 characters without spaces, commas, CR, LF or NUL';

/** A room id: `!abc:example.org`, or `!abc` in room version 12. */
const ROOM_ID = /^![^\s:]+(:\S+)?$/;

/** `'#chan'` or `{ name: '#chan', key?: 'secret', room?: '!abc:example.org' }`. */
export const channelEntrySchema = z
  .union(
    [
      z.string(),
      z
        .object({ name: z.string(), key: z.string().optional(), room: z.string().optional() })
        .strict(),
    ],
    {
      message:
        "must be a channel name like '#rust' or { name: '#rust', key: 'secret', room: '!abc:example.org' }",
    },
  )
  .superRefine((entry, ctx) => {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (!CHANNEL.test(name))
      ctx.addIssue({
        code: 'custom',
        path: typeof entry === 'string' ? [] : ['name'],
        message: 'must be channel names like #rust',
      });
    if (typeof entry === 'string') return;
    if (entry.key !== undefined && !isChannelKey(entry.key))
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: `must be a channel key: ${CHANNEL_KEY_RULE}`,
      });
    if (entry.room !== undefined && !ROOM_ID.test(entry.room))
      ctx.addIssue({
        code: 'custom',
        path: ['room'],
        message: "must be a room id like !abc:example.org (not an alias: see the room's settings)",
      });
  });

export type ChannelEntry = z.infer<typeof channelEntrySchema>;

/**
 * The configured channels' names, the keys of those that have one and the existing rooms of those
 * mapped to one (both by lowercased name).
 */
export function splitChannelEntries(entries: ChannelEntry[]): {
  channels: string[];
  channel_keys?: Record<string, string>;
  channel_rooms?: Record<string, string>;
} {
  const channels: string[] = [];
  const keys: Record<string, string> = {};
  const rooms: Record<string, string> = {};
  for (const e of entries) {
    const name = typeof e === 'string' ? e : e.name;
    channels.push(name);
    if (typeof e === 'string') continue;
    if (e.key !== undefined) keys[name.toLowerCase()] = e.key;
    if (e.room !== undefined) rooms[name.toLowerCase()] = e.room;
  }
  return {
    channels,
    ...(Object.keys(keys).length ? { channel_keys: keys } : {}),
    ...(Object.keys(rooms).length ? { channel_rooms: rooms } : {}),
  };
}

/** matrix-appservice-irc's `{ o: 50, v: 0 }`, with halfops between; founders and admins as ops. */
export const DEFAULT_POWER_LEVELS: Readonly<Record<string, number>> = {
  q: 50,
  a: 50,
  o: 50,
  h: 25,
  v: 0,
};

/** Channel prefix modes (`o`, `v`, …) → Matrix power levels of the ghosts that hold them; merged over the defaults. */
export const powerLevelsSchema = z
  .record(
    z.string().regex(/^[A-Za-z]$/, 'must be one mode letter, like o or v'),
    z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 (no level) or more')
      .max(99, "must be below 100 (the bridge bot's own level)"),
  )
  .optional();

/** The level a user with `modes` (prefix mode letters, e.g. `['o', 'v']`) gets: the highest of theirs. */
export function levelOf(modes: Iterable<string>, map: Record<string, number> | undefined): number {
  const levels = { ...DEFAULT_POWER_LEVELS, ...map };
  let level = 0;
  for (const m of modes) level = Math.max(level, levels[m] ?? 0);
  return level;
}
