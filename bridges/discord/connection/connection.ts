/**
 * The bot's connection to Discord (discord.js): logs in with the token, retries a failed login
 * with a jittered backoff, counts identifies against the daily budget (backoff.ts) and stays
 * away for the rest of the day when it is spent. discord.js resumes a dropped gateway session
 * itself (RESUME, replaying what was missed); only a session Discord ends costs an identify.
 * A refused token is not tried again (it would only burn identifies): it is logged, once.
 */
import { Client, GatewayIntentBits, Partials, type ClientOptions } from 'discord.js';
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../src/connector.js';
import { backoffDelay, IdentifyBudget } from './backoff.js';
import type { DiscordConfig } from '../config.js';

export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildModeration,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.GuildMessageTyping,
];

export type ConnectionState =
  'connecting' | 'ready' | 'resuming' | 'waiting' | 'refused' | 'stopped';

export class DiscordConnection {
  readonly client: Client;
  state: ConnectionState = 'connecting';
  readonly budget: IdentifyBudget;
  identifies = 0;
  resumes = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly readyWaiters: (() => void)[] = [];

  constructor(
    config: DiscordConfig,
    private readonly token: string,
    kv: KeyValueStore,
    private readonly log: Logger,
  ) {
    const options: ClientOptions = {
      // Server Members is privileged: asked only when the admin turned it on (Developer Portal too).
      intents: config.members_intent ? [...INTENTS, GatewayIntentBits.GuildMembers] : INTENTS,
      partials: [
        Partials.Message,
        Partials.Channel,
        Partials.Reaction,
        Partials.User,
        Partials.GuildMember,
      ],
      // Webhooks and the bot never ping anyone unless a message says so (from-matrix/ does).
      allowedMentions: { parse: [] },
      rest: {
        ...(config.api_url ? { api: config.api_url.replace(/\/$/, '') } : {}),
        // One base for the CDN and the media proxy (GIF stickers) when it is not Discord's.
        ...(config.cdn_url
          ? {
              cdn: config.cdn_url.replace(/\/$/, ''),
              mediaProxy: config.cdn_url.replace(/\/$/, ''),
            }
          : {}),
      },
    };
    this.client = new Client(options);
    // REST (webhooks, history) works while the gateway connects or waits for the identify budget.
    this.client.rest.setToken(token);
    this.budget = new IdentifyBudget(kv, config.identify_budget);
    this.client.on('shardReady', () => void this.onIdentified());
    this.client.on('shardResume', () => {
      this.resumes++;
      this.state = 'ready';
      this.log.info('Discord gateway session resumed');
    });
    this.client.on('shardDisconnect', (event) => {
      this.log.warn({ code: event.code }, 'Discord gateway closed');
    });
    this.client.on('shardReconnecting', () => {
      this.state = 'resuming';
    });
    this.client.on('error', (err) =>
      this.log.warn({ err: scrub(err, token) }, 'Discord client error'),
    );
  }

  /** Logs in (in the background, with retries); `ready()` resolves when the bot is in. */
  start(): void {
    void this.attempt(0);
  }

  /** Resolves once the bot is connected (now, or when it next is). */
  ready(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    clearTimeout(this.timer);
    await this.client.destroy();
  }

  private async attempt(n: number): Promise<void> {
    if (this.stopped) return;
    if (!(await this.budget.allows())) return this.waitForBudget();
    this.state = 'connecting';
    try {
      await this.client.login(this.token);
    } catch (err) {
      if (this.stopped) return;
      const code = (err as { code?: unknown; status?: unknown }).code;
      const status = (err as { status?: unknown }).status;
      if (code === 'TokenInvalid' || status === 401) {
        this.state = 'refused';
        this.log.error(
          'Discord refused the bot token (401): set bridges.discord.token (or token_file) to the token of the bot in the Developer Portal, then restart',
        );
        return;
      }
      const delay = backoffDelay(n);
      this.log.warn(
        { err: scrub(err, this.token), retryInMs: Math.round(delay) },
        'Discord login failed',
      );
      this.timer = setTimeout(() => void this.attempt(n + 1), delay);
      this.timer.unref();
    }
  }

  private async onIdentified(): Promise<void> {
    this.identifies++;
    this.state = 'ready';
    for (const w of this.readyWaiters.splice(0)) w();
    const used = await this.budget.count().catch(() => 0);
    this.log.info(
      { identifiesToday: used, budget: this.budget.perDay },
      'Discord gateway session started',
    );
    if (used >= this.budget.perDay) {
      // This session may go on; the next one must wait for tomorrow.
      this.log.error(
        { budget: this.budget.perDay },
        'the daily Discord identify budget is spent: no new session before midnight UTC (resumes still work)',
      );
    }
  }

  private waitForBudget(): void {
    this.state = 'waiting';
    const wait = this.budget.waitMs();
    this.log.error(
      { budget: this.budget.perDay, retryInMs: wait },
      'the daily Discord identify budget is spent: connecting after midnight UTC',
    );
    this.timer = setTimeout(() => void this.attempt(0), wait + 1_000);
    this.timer.unref();
  }
}

/** An error as it may be logged: the token never in it. */
export function scrub(err: unknown, token: string): unknown {
  if (!(err instanceof Error) || !token) return err;
  const clean = (s: string | undefined) => s?.split(token).join('[token]');
  const copy = new Error(clean(err.message));
  copy.name = err.name;
  copy.stack = clean(err.stack);
  return copy;
}
