/** The Discord bridge's own config keys (under `bridges.discord`). */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A Discord id (a snowflake: 17 to 20 digits). */
export const SNOWFLAKE = /^\d{17,20}$/;
const snowflake = (what: string) =>
  z.string().regex(SNOWFLAKE, `must be a Discord ${what} id (17 to 20 digits, as "Copy ID" gives)`);

export const discordConfigSchema = z
  .object({
    /** The bot's token (Developer Portal → Bot → Token). Prefer `token_file`; never logged. */
    token: z.string().min(1, 'must be the bot token from the Discord Developer Portal').optional(),
    /** A file holding the bot token (read once, at start; trailing whitespace ignored). */
    token_file: z.string().min(1, 'must be the path of a file holding the bot token').optional(),
    /** Guilds the bridge serves (absent: every guild the bot is in). */
    guilds: z.array(snowflake('guild')).optional(),
    /**
     * Guilds bridged whole: a Matrix space per guild with a public room for each text channel,
     * new channels following. Off by default (a guild may not want every channel on Matrix).
     */
    whole_guilds: z.array(snowflake('guild')).default([]),
    /** Channels bridged from the start: the channel id, and optionally an existing room to link. */
    channels: z
      .array(
        z
          .object({
            id: snowflake('channel'),
            room: z
              .string()
              .regex(/^![^\s:]+(:\S+)?$/, 'must be a Matrix room id (!abc:example.org)')
              .optional(),
          })
          .strict(),
      )
      .default([]),
    /**
     * Anyone on Matrix may open a room for a channel the bot sees, by joining the alias
     * `#discord_<channel id>:<domain>`. Off by default: then only links (command, provisioning
     * API, `channels`) bridge channels.
     */
    dynamic_aliases: z.boolean().default(false),
    /**
     * A Matrix moderator's kick or ban of a Discord user's ghost kicks or bans them from the whole
     * guild (the bot needs Kick/Ban Members). Off by default: then it removes the ghost from the
     * room only.
     */
    moderation: z.boolean().default(false),
    /**
     * Ask for the privileged Server Members intent (turn it on in the Developer Portal first, or
     * Discord refuses the connection): a member leaving the guild makes their ghost leave its
     * bridged rooms. Off by default.
     */
    members_intent: z.boolean().default(false),
    /** Identifies (new gateway sessions) allowed per day; Discord resets a token after 1,000. */
    identify_budget: z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(999, 'must stay below Discord’s 1,000 a day')
      .default(900),
    /** REST base URL (for tests against a fake Discord; the default is Discord's). */
    api_url: z.url('must be an http(s) URL').optional(),
    /**
     * Discord's CDN base URL (tests point it at the fake Discord): attachments, avatars, emoji and
     * stickers are fetched only from it (and Discord's media proxy when it is Discord's own).
     */
    cdn_url: z.url('must be an http(s) URL').optional(),
    /**
     * Largest Discord file re-uploaded to Matrix, in bytes; larger ones arrive as links to
     * Discord's CDN. Keep it at or below the homeserver's `max_upload_size`.
     */
    max_media_bytes: z
      .number()
      .int()
      .min(0, 'must be 0 (never re-upload: links only) or more')
      .default(20 * 1024 * 1024),
    /** Largest file sent to Discord, in bytes (Discord's limit for bots without boosts: 10 MiB). */
    max_upload_bytes: z
      .number()
      .int()
      .min(1, 'must be at least 1 byte')
      .default(10 * 1024 * 1024),
    /** The webhook's name in each bridged channel (Discord forbids "discord" and "clyde" in it). */
    webhook_name: z
      .string()
      .min(1)
      .max(80, 'must be at most 80 characters')
      .refine(
        (n) => !/discord|clyde/i.test(n),
        'must not contain "discord" or "clyde" (Discord refuses it)',
      )
      .default('Switchboard'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const outside = c.guilds ? c.whole_guilds.filter((g) => !c.guilds!.includes(g)) : [];
    if (outside.length)
      ctx.addIssue({
        code: 'custom',
        path: ['whole_guilds'],
        message: `${outside.join(', ')} not in guilds: add them to guilds, or remove them here`,
      });
    if (!c.token === !c.token_file)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'set exactly one of token or token_file (the bot token from the Developer Portal)',
      });
  });

export type DiscordConfig = z.infer<typeof discordConfigSchema>;

/** The bot token, from the config or its file. Throws a message that never contains the token. */
export function readToken(config: DiscordConfig): string {
  if (config.token) return config.token;
  let text: string;
  try {
    text = readFileSync(config.token_file!, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read bridges.discord.token_file ${config.token_file}: ${(err as Error).message}`,
    );
  }
  const token = text.trim();
  if (!token) throw new Error(`bridges.discord.token_file ${config.token_file} is empty`);
  return token;
}
