/** The SIP bridge's own config keys (under `bridges.sip`). See README.md. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { E164 } from './ids.js';

/**
 * Numbers refused unless the admin allows them by name in `dial_plan.allow` and clears `deny`:
 * premium-rate and pay-per-call ranges of the countries where they are best known.
 */
export const PREMIUM_RATE = [
  '^\\+1(900|976)', // NANP premium
  '^\\+44(9|87|70)', // UK premium, 087x, personal numbers
  '^\\+49(900|137|118)', // Germany premium, televoting, directory
  '^\\+33(8[1-9]|89)', // France
  '^\\+39(89|166|144)', // Italy
  '^\\+34(80[3-7]|90[57])', // Spain
  '^\\+61(19)', // Australia
  '^\\+881', // satellite
  '^\\+882',
  '^\\+883',
];

const regex = (what: string) =>
  z.string().superRefine((s, ctx) => {
    try {
      new RegExp(s);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} is not a regular expression: ${(err as Error).message}`,
      });
    }
  });

const matrixUser = z
  .string()
  .regex(/^@[a-z0-9._=\-/+]+:[A-Za-z0-9.:[\]-]+$/, 'must be a Matrix user id (@user:example.org)');

export const sipConfigSchema = z
  .object({
    /** The registrar/proxy's SIP-over-WebSocket URL (wss:// by default; ws:// on loopback only). */
    server: z
      .string()
      .regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL of the SIP registrar/proxy'),
    /** Check the server's TLS certificate (wss://). Turn off only for a test server. */
    tls_reject_unauthorized: z.boolean().default(true),
    /** The SIP domain of the account (its address-of-record host); default: the server's host. */
    domain: z
      .string()
      .regex(/^[a-z0-9.-]+$/, 'must be a lowercase host name (the SIP domain)')
      .optional(),
    /** The shared trunk account the bridge registers. */
    account: z
      .object({
        username: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'must be a SIP user name'),
        /** The digest auth user, when it differs from `username`. */
        auth_username: z
          .string()
          .regex(/^[A-Za-z0-9._+@-]{1,128}$/)
          .optional(),
        password: z.string().min(1).optional(),
        /** A file holding the password (its first line), instead of `password`. */
        password_file: z.string().min(1).optional(),
      })
      .strict()
      .refine((a) => (a.password === undefined) !== (a.password_file === undefined), {
        message: 'give exactly one of password and password_file',
      }),
    /** REGISTER expiry asked for, in seconds (sip.js refreshes it before it runs out). */
    register_expires: z.number().int().min(30).max(86_400).default(600),
    dial_plan: z
      .object({
        /** Numbers (E.164) that may be called or texted: regexes, any one matching allows. */
        allow: z.array(regex('a dial_plan.allow entry')).default(['^\\+[1-9][0-9]{6,14}$']),
        /** Numbers refused even when allowed: premium-rate ranges by default. */
        deny: z.array(regex('a dial_plan.deny entry')).default(PREMIUM_RATE),
        /** SIP domains whose addresses (`user@host`) may be called or texted; none by default. */
        allow_domains: z.array(z.string().regex(/^[a-z0-9.:-]+$/)).default([]),
        /** Where numbers are dialled: `sip:<number>@<number_domain>` (default: the domain). */
        number_domain: z
          .string()
          .regex(/^[a-z0-9.:-]+$/, 'must be a host (and port) numbers are dialled at')
          .optional(),
      })
      .strict()
      .default({ allow: ['^\\+[1-9][0-9]{6,14}$'], deny: PREMIUM_RATE, allow_domains: [] }),
    /** The trunk's numbers (DIDs, E.164) and the Matrix user each one rings and texts. */
    dids: z
      .record(z.string().regex(E164, 'DIDs are E.164 numbers (+15550001)'), matrixUser)
      .default({}),
    /**
     * Matrix users who may call and text out through the trunk (their DID, if any, is the caller
     * id). Empty: the users of `dids`.
     */
    users: z.array(matrixUser).default([]),
    /** An unanswered call stops ringing (both ways) after this long. */
    ring_timeout_seconds: z.number().int().min(5).max(600).default(60),
    /**
     * `relay`: the bridge carries the audio (WebRTC toward Matrix, plain RTP toward SIP, G.711 on
     * both legs). `passthrough`: the SDP goes through unchanged, for WebRTC-capable SIP endpoints.
     */
    media: z
      .object({
        mode: z.enum(['relay', 'passthrough']).default('relay'),
        /** The address the RTP sockets bind (phones elsewhere need a reachable one, or 0.0.0.0). */
        rtp_bind_address: z
          .string()
          .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address')
          .default('127.0.0.1'),
        /** The address SIP phones send RTP to (NAT, or a 0.0.0.0 bind); default: the bind address. */
        public_address: z
          .string()
          .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address')
          .optional(),
        /**
         * The UDP ports calls take: the RTP socket toward SIP and the WebRTC leg's ICE sockets
         * (open them in the firewall). Default: any free port.
         */
        rtp_ports: z
          .object({
            min: z.number().int().min(1024).max(65535),
            max: z.number().int().min(1024).max(65535),
          })
          .strict()
          .refine((r) => r.min <= r.max, {
            message: 'rtp_ports.min must not be above rtp_ports.max',
          })
          .optional(),
        /** STUN/TURN servers for the WebRTC leg toward Matrix clients. */
        ice_servers: z
          .array(
            z
              .object({
                urls: z.string().regex(/^(stun|turns?):/, 'must be a stun:, turn: or turns: URL'),
                username: z.string().optional(),
                credential: z.string().optional(),
              })
              .strict(),
          )
          .default([]),
        /**
         * The media threads (worker threads) that carry the relayed calls' packets, each with a
         * share of the calls; 0 runs them on the bridge's main thread. Default: one per CPU core
         * beyond the first (at least 1, at most 8).
         */
        threads: z.number().int().min(0).max(64).optional(),
        /**
         * The media threads' scheduling priority, as a nice value (-20 highest … 19 lowest; Linux
         * only). Negative values need CAP_SYS_NICE: without it the bridge does not start.
         * Default: the bridge process's own.
         */
        priority: z.number().int().min(-20).max(19).optional(),
        /**
         * The media threads' real-time priority (SCHED_RR, 1 … 99; Linux only): a packet that
         * comes wakes its media thread ahead of every ordinary thread of the machine, as media
         * servers run theirs (FreeSWITCH `-rp`, Asterisk `-p`). Needs CAP_SYS_NICE (or an
         * RLIMIT_RTPRIO that allows it): without it the bridge does not start. Default: none.
         */
        realtime: z.number().int().min(1).max(99).optional(),
        /**
         * Each media thread's young generation (V8's `maxYoungGenerationSizeMb` for its worker),
         * in MB: the relay's per-packet garbage is collected each time it fills, in a pause of the
         * thread. Default: V8's own.
         */
        young_generation_mb: z.number().min(1).max(256).optional(),
        /**
         * Each media thread a child process of the bridge instead of a worker thread: V8 of its
         * own, whose garbage collector runs on its one thread (`--single-threaded-gc`), so a
         * real-time media thread never waits for V8's GC helper threads (ordinary threads) and
         * the main thread's collections share nothing with it. Default: true with `realtime`
         * (a real-time worker thread stalls in its GC pauses behind ordinary threads), false
         * otherwise.
         */
        process: z.boolean().optional(),
      })
      .strict()
      .default({ mode: 'relay', rtp_bind_address: '127.0.0.1', ice_servers: [] })
      .transform((m) => ({
        ...m,
        process: m.process ?? (m.realtime !== undefined && m.threads !== 0),
      }))
      .refine((m) => m.priority === undefined || m.threads !== 0, {
        message:
          'media.priority applies to media threads: with threads: 0 there are none (set threads ≥ 1 or remove priority)',
      })
      .refine((m) => m.realtime === undefined || m.threads !== 0, {
        message:
          'media.realtime applies to media threads: with threads: 0 there are none (set threads ≥ 1 or remove realtime)',
      })
      .refine((m) => !m.process || m.threads !== 0, {
        message:
          'media.process runs the media threads as processes: with threads: 0 there are none (set threads ≥ 1 or remove process)',
      })
      .refine((m) => m.realtime === undefined || m.priority === undefined, {
        message:
          'media.realtime and media.priority: set one (a real-time thread is ahead of every nice value)',
      })
      .refine((m) => m.rtp_bind_address !== '0.0.0.0' || m.public_address !== undefined, {
        message: 'with rtp_bind_address 0.0.0.0, set public_address (where phones send RTP)',
      }),
    max_calls: z
      .object({
        total: z.number().int().min(1).default(50),
        per_user: z.number().int().min(1).default(2),
      })
      .strict()
      .default({ total: 50, per_user: 2 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.account.password_file) {
      try {
        if (!readPasswordFile(c.account.password_file))
          ctx.addIssue({
            code: 'custom',
            path: ['account', 'password_file'],
            message: `${c.account.password_file} is empty: put the SIP password on its first line`,
          });
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['account', 'password_file'],
          message: `cannot read ${c.account.password_file}: ${(err as Error).message}`,
        });
      }
    }
    const url = new URL(c.server);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol === 'ws:' && !loopback)
      ctx.addIssue({
        code: 'custom',
        path: ['server'],
        message:
          'ws:// sends the SIP password digest and calls in clear text: use wss:// (ws:// only on loopback)',
      });
  });

export type SipConfig = z.infer<typeof sipConfigSchema>;

export function readPasswordFile(file: string): string {
  return readFileSync(file, 'utf8').split(/\r?\n/)[0]!.trim();
}

/** The trunk password, from the config or its file. */
export const accountPassword = (c: SipConfig): string =>
  c.account.password ?? readPasswordFile(c.account.password_file!);

/** The SIP domain: the configured one, or the server URL's host. */
export const sipDomain = (c: SipConfig): string => c.domain ?? new URL(c.server).hostname;
