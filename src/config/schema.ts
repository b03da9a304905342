/** The shape of `config.yaml`, validated at start with messages that name the key. */
import { z } from 'zod';

const token = z
  .string()
  .min(16, 'must be at least 16 characters: `switchboard init` writes a random one');
const localpart = z.string().regex(/^[a-z0-9._=\-/]+$/, 'may use only a-z, 0-9 and . _ = - /');

export const configSchema = z
  .object({
    homeserver: z
      .object({
        url: z.url('must be the http(s) URL where the bridge reaches the homeserver'),
        domain: z.string().min(1, 'must be the server name, the part after the colon in user ids'),
      })
      .strict(),
    appservice: z
      .object({
        id: localpart.default('switchboard'),
        bind: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(29380),
        url: z.url('must be the URL where the homeserver reaches this bridge'),
        as_token: token,
        hs_token: token,
        bot: z
          .object({
            localpart: localpart.default('switchboard'),
            displayname: z.string().default('Switchboard'),
          })
          .strict()
          .default({ localpart: 'switchboard', displayname: 'Switchboard' }),
        max_body_bytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024 * 1024),
      })
      .strict(),
    database: z.string().min(1).default('switchboard.db'),
    /**
     * The file of the bridge's secret key (made on first use, mode 0600), which seals stored
     * passwords and signs links. Default: `switchboard.key` beside an SQLite database, else in
     * the working directory. Keep it out of database backups; losing it loses those secrets.
     */
    secret_key_file: z.string().min(1).optional(),
    admins: z
      .array(
        z.string().regex(/^@[^:]+:.+$/, 'must be full Matrix user ids like @admin:example.org'),
      )
      .default([]),
    provisioning: z
      .object({ enabled: z.boolean().default(false), secret: token.optional() })
      .strict()
      .refine((p) => !p.enabled || p.secret, {
        message: 'secret is required when provisioning is enabled',
        path: ['secret'],
      })
      .default({ enabled: false }),
    logging: z
      .object({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info'),
        pretty: z.boolean().optional(),
      })
      .strict()
      .default({ level: 'info' }),
    queues: z
      .object({
        /** How many rooms are worked on at once, per direction. */
        portal_concurrency: z.number().int().min(1).max(10_000).default(64),
      })
      .strict()
      .default({ portal_concurrency: 64 }),
    /**
     * Links a bridge hands out to people on networks that carry only text (IRC): Matrix media
     * and long messages, served by this listener under `/_switchboard/media/` and
     * `/_switchboard/text/`. `url` is where people outside reach the listener (a reverse proxy
     * path in front of it); unset, no links are made. A link works for `ttl_hours`.
     */
    public_links: z
      .object({
        url: z
          .url('must be the http(s) URL where people outside reach this listener')
          .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL'),
        ttl_hours: z
          .number()
          .positive('must be more than 0')
          .max(87_600, 'must be at most 87600 (ten years)')
          .default(168),
      })
      .strict()
      .optional(),
    /**
     * The admins' status page (`/_switchboard/status/`): bridges, connections, traffic, portals,
     * failures with a retry button. Admins open it through the bot's `status` command (a signed
     * link that expires and opens once); scripts send `Authorization: Bearer <token>`. Served on
     * the appservice listener, or on a listener of its own when `port` is set (`bind` defaults to
     * 127.0.0.1). `url` is where admins reach it (the links the bot hands out start with it).
     */
    status_page: z
      .object({
        enabled: z.boolean().default(true),
        url: z
          .url('must be the http(s) URL where admins reach the status page listener')
          .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL')
          .optional(),
        bind: z.string().min(1).optional(),
        port: z.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535').optional(),
        token: token.optional(),
        token_file: z.string().min(1).optional(),
        link_ttl_minutes: z
          .number()
          .positive('must be more than 0')
          .max(1440, 'must be at most 1440 (a day): a link in a chat room should not live long')
          .default(10),
      })
      .strict()
      .refine((s) => !(s.token && s.token_file), {
        message: 'set token or token_file, not both',
        path: ['token_file'],
      })
      .refine((s) => s.bind === undefined || s.port !== undefined, {
        message: 'bind needs a port: set status_page.port for a listener of its own',
        path: ['bind'],
      })
      .default({ enabled: true, link_ttl_minutes: 10 }),
    /** Finished inbox events are kept this long for health and retries, then pruned. */
    retention_days: z.number().positive().default(7),
    /** Each bridge's section: `enabled`, `prefix`, and the bridge's own keys. */
    bridges: z
      .record(
        z.string(),
        z.object({ enabled: z.boolean().default(true), prefix: localpart.optional() }).loose(),
      )
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type BridgeSection = Config['bridges'][string];
