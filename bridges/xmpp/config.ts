/** The XMPP bridge's own config keys (under `bridges.xmpp`). See README.md. */
import { z } from 'zod';
import { parsePortal } from './ids.js';
import { passwordProblem, roomEntrySchema, roomListProblems } from './muc-links/room-entries.js';

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const domain = (what: string) =>
  z.string().regex(DOMAIN, `must be ${what}: a lowercase domain name such as matrix.example.org`);

export const xmppConfigSchema = z
  .object({
    /** The XMPP server's component port (XEP-0114), on this host or a private network. */
    host: z.string().min(1, 'must be the XMPP server host name or address').default('127.0.0.1'),
    port: z
      .number()
      .int()
      .min(1, 'must be a TCP port (1-65535)')
      .max(65535, 'must be a TCP port (1-65535)')
      .default(5347),
    /** The component's domain, as the XMPP server's config names it (`Component "matrix.example.org"`). */
    domain: domain('the component domain'),
    /** The component secret (`component_secret` in Prosody). Never logged. */
    secret: z.string().min(1, 'must be the component secret the XMPP server has for this domain'),
    /** MUC services whose rooms Matrix users may join through aliases; empty: any. */
    muc_hosts: z.array(domain('a MUC service domain')).default([]),
    /**
     * Whether a Matrix user may link a MUC that does not exist (an alias, `xmpp join`, `link`):
     * the join of their occupant then creates it on that service. Off: such a room is refused
     * (a room's existence is asked first, XEP-0045 §6.4).
     */
    create_rooms: z.boolean().default(false),
    /**
     * MUCs linked at start (muc-links/room-entries.ts): `'dev@conference.example.org'` (the room its
     * alias gives) or `{ muc, room: '!abc:example.org', password }` (an existing room; the room's
     * password for every occupant's join).
     */
    rooms: z.array(roomEntrySchema).default([]),
    /**
     * Which Matrix users of a MUC portal's room are occupants of the MUC: `members` (every one,
     * from when they join), or `speakers` (each from the first thing they send there, while the
     * bridge's own occupant, `reader_nick`, reads the room). The MUC sends each message to every
     * occupant, so a room of hundreds of Matrix members costs far less as `speakers`.
     */
    occupants: z
      .enum(
        ['members', 'speakers'],
        'must be `members` (every Matrix user an occupant) or `speakers`',
      )
      .default('members'),
    /** The nick of the bridge's own occupant, which reads a MUC for `occupants: speakers`. */
    reader_nick: z
      .string()
      .regex(
        /^(?=.*\S)[^\x00-\x1f\x7f]{1,64}$/u,
        'must be 1-64 characters, not only spaces, no control characters',
      )
      .default('Matrix'),
    /** The resource of Matrix users' addresses (`alice\3aexample.org@matrix.example.org/<resource>`). */
    resource: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .default('matrix'),
    reconnect: z
      .object({
        /** First delay after a drop (jittered ±25 %), doubling per failed attempt. */
        min_ms: z.number().int().min(10).max(600_000).default(1_000),
        /** The longest delay between attempts. */
        max_ms: z.number().int().min(10).max(3_600_000).default(60_000),
      })
      .strict()
      .default({ min_ms: 1_000, max_ms: 60_000 }),
    /** XMPP users entering Matrix rooms as MUCs on the component (`#room#server@<component>`). */
    gateway: z
      .object({
        /** Off: room addresses on the component answer item-not-found. */
        enabled: z.boolean().default(true),
        /**
         * Matrix members shown as occupants when an XMPP user joins (moderators first); the others
         * appear when they speak or join, so a room of thousands costs no presence flood.
         */
        max_shown_members: z
          .number()
          .int()
          .min(0, 'must be 0 or more (0: members appear only when they speak)')
          .max(10_000, 'must be at most 10000')
          .default(50),
      })
      .strict()
      .default({ enabled: true, max_shown_members: 50 }),
    /** Files from XMPP (XEP-0363 / XEP-0066 links) downloaded and uploaded as Matrix media. */
    media: z
      .object({
        /** Off: file links stay links in the text. */
        enabled: z.boolean().default(true),
        /** The largest file downloaded; a larger one stays a link. */
        max_bytes: z
          .number()
          .int()
          .min(1, 'must be a size in bytes (e.g. 10485760 for 10 MiB)')
          .max(1_073_741_824, 'must be at most 1 GiB (1073741824)')
          .default(10_485_760),
        /** How long a download may take. */
        timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
        /** Fetch from loopback and private networks too (test setups); off by default. */
        allow_private_addresses: z.boolean().default(false),
      })
      .strict()
      .default({
        enabled: true,
        max_bytes: 10_485_760,
        timeout_ms: 30_000,
        allow_private_addresses: false,
      }),
    /** Avatars both ways: XMPP users' (vCard-temp, XEP-0084) on ghosts, Matrix users' in vCards. */
    avatars: z
      .object({
        /** Off: ghosts keep no avatar, and Matrix users' vCards carry no photo. */
        enabled: z.boolean().default(true),
        /** The largest avatar taken either way; a larger one is refused (and logged). */
        max_bytes: z
          .number()
          .int()
          .min(1, 'must be a size in bytes (e.g. 1048576 for 1 MiB)')
          .max(16_777_216, 'must be at most 16 MiB (16777216)')
          .default(1_048_576),
      })
      .strict()
      .default({ enabled: true, max_bytes: 1_048_576 }),
    /** Stanzas kept, in order, while the server is unreachable; more are refused to the sender. */
    max_queued: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict()
  .refine((c) => c.reconnect.min_ms <= c.reconnect.max_ms, {
    message: 'reconnect.min_ms must not be larger than reconnect.max_ms',
    path: ['reconnect'],
  })
  .superRefine((c, ctx) => {
    for (const { index, message } of roomListProblems(c.rooms, c.domain, c.muc_hosts))
      ctx.addIssue({ code: 'custom', path: ['rooms', index], message });
  });

export type XmppConfig = z.infer<typeof xmppConfigSchema>;

/** Why the MUC `room` (a bare JID) may not be bridged under `config`, or undefined when it may. */
export function mucRefusal(
  config: Pick<XmppConfig, 'domain' | 'muc_hosts'>,
  room: string,
): string | undefined {
  const host = room.slice(room.lastIndexOf('@') + 1);
  if (host === config.domain) return `${room} is on this bridge's own domain: not a group chat.`;
  if (config.muc_hosts.length > 0 && !config.muc_hosts.includes(host))
    return `This bridge joins group chats on ${config.muc_hosts.join(', ')} only.`;
  return undefined;
}

/**
 * Why a room may not be linked to `remoteId` (only a MUC on an allowed service), with `password`
 * (the link's option: a valid one, for a MUC the config gives none), or undefined.
 */
export function linkRefusal(
  config: Pick<XmppConfig, 'domain' | 'muc_hosts' | 'rooms'>,
  remoteId: string,
  password?: string,
): string | undefined {
  const where = parsePortal(remoteId);
  if (where?.kind !== 'muc')
    return `an XMPP room to link is muc/<room@service> (like muc/room@conference.example.org), not ${remoteId}`;
  const refused = mucRefusal(config, where.room);
  if (refused || password === undefined) return refused;
  const problem = passwordProblem(password);
  if (problem) return `the option "password" ${problem}`;
  if (config.rooms.some((r) => r.muc === where.room && r.password !== undefined))
    return `bridges.xmpp.rooms gives ${where.room} its password: change it there, not with the link`;
  return undefined;
}
