/** The IRC bridge's own config keys (under `bridges.irc`). */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parsePrefix } from './connection/source-address.js';
import {
  channelEntrySchema,
  powerLevelsSchema,
  splitChannelEntries,
} from './channels/channel-config.js';

const caFiles = new Map<string, string>();

/** The PEM text of a CA file, read once per path (the config check reads it first). */
export function readCaFile(file: string): string {
  let pem = caFiles.get(file);
  if (pem === undefined) {
    pem = readFileSync(file, 'utf8');
    caFiles.set(file, pem);
  }
  return pem;
}

function caFileProblem(file: string): string | undefined {
  let pem: string;
  try {
    pem = readCaFile(file);
  } catch (err) {
    return `cannot read the CA file ${file}: ${(err as Error).message}`;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    return `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  return undefined;
}

const NETWORK_ID = /^[a-z0-9-]{1,32}$/;

export const networkSchema = z
  .object({
    /** Host name or address of the IRC server. */
    host: z.string().min(1, 'must be the IRC server host name or address'),
    port: z
      .number()
      .int()
      .min(1, 'must be a TCP port (1-65535)')
      .max(65535, 'must be a TCP port (1-65535)')
      .default(6697),
    tls: z.boolean().default(true),
    /** A PEM file of the CA certificates to trust for this network (read once, at config load). */
    tls_ca_file: z
      .string()
      .superRefine((file, ctx) => {
        const problem = caFileProblem(file);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    tls_reject_unauthorized: z.boolean().default(true),
    /** The IRC nick of a Matrix user: `{localpart}` (and `{displayname}`) are filled in. */
    nick_template: z
      .string()
      .refine(
        (t) => t.includes('{localpart}') || t.includes('{displayname}'),
        'must contain {localpart} or {displayname}',
      )
      .default('{localpart}[m]'),
    /** The nick of the listener connection that sits in every bridged channel. */
    bot_nick: z
      .string()
      .regex(/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/, 'must be a valid IRC nick')
      .default('switchboard'),
    /**
     * The bot's services account, logged in with SASL PLAIN at every (re)connect: networks that
     * give registered clients more (no throttling, cloaks, +R channels). Failures are logged; the
     * bot stays connected without it.
     */
    bot_sasl: z
      .object({
        account: z
          .string()
          .regex(
            /^[^\s\0]{1,64}$/,
            'must be the services account name (1 to 64 characters, no spaces)',
          ),
        password: z
          .string()
          .min(1, 'must be the account password')
          .refine((p) => !/[\0\r\n]/.test(p), 'must not contain NUL, CR or LF'),
      })
      .strict()
      .optional(),
    /** Channels joined at start (`#channel`, or `{ name, key }` for a +k channel); more are joined as Matrix users open portals. */
    channels: z.array(channelEntrySchema).default([]),
    /** Channel prefix modes → Matrix power levels of ghosts (merged over `{ q: 50, a: 50, o: 50, h: 25, v: 0 }`). */
    power_levels: powerLevelsSchema,
    /** Longest IRC line the server takes, in bytes (512 by RFC 1459; some servers allow more). */
    max_line_bytes: z.number().int().min(128, 'must be at least 128').max(16_384).optional(),
    /**
     * A Matrix message longer than this many IRC lines (default 3: links.ts) is said as its first
     * line and a link to the whole text, when core's `public_links` is set (else all lines are).
     */
    max_lines: z.number().int().min(1, 'must be at least 1').max(1_000).optional(),
    /** Flood control per connection (a token bucket that keeps order); `lines_per_second: 0` turns it off. */
    flood: z
      .object({
        lines_per_second: z.number().min(0, 'must be 0 (off) or more').max(1_000).default(2),
        burst: z.number().int().min(1, 'must be at least 1').max(1_000).default(10),
      })
      .strict()
      .default({ lines_per_second: 2, burst: 10 }),
    /** Messages sent while a connection is down wait for it (in order), up to these bounds; then they fail (retriable). Defaults: connection-limits.ts. */
    queue_while_down: z
      .object({
        max_messages: z.number().int().min(1, 'must be at least 1').max(100_000).optional(),
        max_wait_seconds: z.number().min(1, 'must be at least 1').max(604_800).optional(),
      })
      .strict()
      .optional(),
    /** Connections of this network that may be connecting at once (0: no limit); the bot goes first. */
    max_concurrent_connects: z.number().int().min(0, 'must be 0 (no limit) or more').optional(),
    /** Puppet connections on this network at most (0: no limit); the idle-most one makes room for a new one. */
    max_puppets: z.number().int().min(0, 'must be 0 (no limit) or more').optional(),
    /** A puppet that has sent nothing for this long QUITs (0: never); its next message connects it again. */
    idle_timeout_hours: z.number().min(0, 'must be 0 (never) or more').optional(),
    /**
     * How long the ghost of a user who quit in a netsplit stays in its rooms, waiting for the
     * netjoin (0: it leaves at once). 5 minutes: servers retry a lost link every minute or so,
     * so most splits heal well within it, while a server gone for longer likely stays gone and
     * its users should not look present for long.
     */
    netsplit_grace_seconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(0, 'must be 0 (leave at once) or more')
      .max(86_400, 'must be at most 86400 (a day)')
      .default(300),
    /**
     * `puppets` (unset): each Matrix user speaks through an IRC connection of their own. `relay`:
     * none connect; the bot says their lines as `<alice> hello` (for networks that limit connections).
     */
    mode: z.enum(['puppets', 'relay'], { message: 'must be puppets or relay' }).optional(),
    /**
     * An IPv6 prefix (`2001:db8:1234::/64`): each Matrix user's connections come from an address
     * of their own in it (stored); the host must route the prefix to itself (see the README).
     */
    source_prefix: z
      .string()
      .refine((p) => {
        const parsed = parsePrefix(p);
        return !!parsed && parsed.length <= 124;
      }, 'must be an IPv6 prefix of length 124 or less, such as 2001:db8:1234::/64')
      .optional(),
    /** What the bridge does about what channels said while it was away (catch-up/). */
    catch_up: z
      .object({
        /** A gap shorter than this gets no "the bridge was away" notice (0: every gap history does not cover). */
        away_notice_seconds: z
          .number()
          .int('must be a whole number of seconds')
          .min(0, 'must be 0 (always) or more')
          .default(60),
        /** Lines asked for per CHATHISTORY request (the server's own limit applies when smaller). */
        history_limit: z
          .number()
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(1_000, 'must be at most 1000')
          .default(100),
      })
      .strict()
      .default({ away_notice_seconds: 60, history_limit: 100 }),
  })
  .strict()
  // Channel entries become `channels` (names, as before) plus `channel_keys` and `channel_rooms`.
  .transform(({ channels, ...rest }) => ({ ...rest, ...splitChannelEntries(channels) }));

/**
 * The connection pool (`switchboard irc-pool`, pool/README in bridges/irc/README.md): with `redis`
 * set the bridge holds no IRC connection itself; the pool does, and outlives the bridge's restarts.
 */
export const poolSchema = z
  .object({
    /** The Redis both the bridge and the pool use (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). */
    redis: z
      .string({ message: 'must be the Redis URL, e.g. redis://127.0.0.1:6379' })
      .regex(
        /^rediss?:\/\/\S+$/,
        'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
      ),
    /** The prefix of the pool's Redis keys: one pool (and one bridge) per prefix. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1 to 64 letters, digits, :, _ or -')
      .default('switchboard:irc-pool'),
    /** The pool's own HTTP port for /health and /metrics (0: none). */
    http_port: z
      .number()
      .int()
      .min(0, 'must be a TCP port (1-65535), or 0 for none')
      .max(65535, 'must be a TCP port (1-65535), or 0 for none')
      .default(9108),
    /** The address that HTTP port listens on. */
    http_bind: z.string().min(1).default('127.0.0.1'),
  })
  .strict();

export type IrcPoolConfig = z.infer<typeof poolSchema>;

/** `ident`: the ident server (RFC 1413); the bridge's, or with `pool.redis` the pool process's. */
export const identSchema = z
  .object({
    enabled: z.boolean().default(false),
    port: z
      .number()
      .int()
      .min(1, 'must be a TCP port (1-65535)')
      .max(65535, 'must be a TCP port (1-65535)')
      .default(113),
    address: z
      .string()
      .refine((a) => isIP(a) !== 0, 'must be an IP address to listen on, such as :: or 0.0.0.0')
      .default('::'),
  })
  .strict()
  .default({ enabled: false, port: 113, address: '::' });

export const ircConfigSchema = z
  .object({
    /** Hold the IRC connections in `switchboard irc-pool` (through Redis) instead of in the bridge. */
    pool: poolSchema.optional(),
    /**
     * An ident server (RFC 1413) answering for the bridge's connections, each Matrix user with a
     * username of their own. Off by default; port 113 needs privilege (see the README).
     */
    ident: identSchema,
    /** Networks by id: the id is part of ghost ids and aliases (`#irc_<id>_#channel`), so keep it short. */
    networks: z.record(z.string(), networkSchema).superRefine((networks, ctx) => {
      if (Object.keys(networks).length === 0)
        ctx.addIssue({ code: 'custom', message: 'must list at least one network' });
      for (const id of Object.keys(networks)) {
        if (!NETWORK_ID.test(id)) {
          ctx.addIssue({
            code: 'custom',
            path: [id],
            message: 'network ids may use only a-z, 0-9 and - (1 to 32 characters)',
          });
        }
      }
    }),
  })
  .strict();

export type IrcConfig = z.infer<typeof ircConfigSchema>;
export type IrcNetworkConfig = z.infer<typeof networkSchema>;
