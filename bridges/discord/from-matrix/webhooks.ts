/**
 * One webhook per bridged channel, through which Matrix users speak with their own names (no
 * user tokens needed). Made by the bot on first use (it needs Manage Webhooks) or found again;
 * its token is sealed in the bridge's store. Messages of these webhooks are not bridged back.
 */
import {
  Routes,
  type RESTGetAPIChannelWebhooksResult,
  type RESTPostAPIChannelWebhookResult,
} from 'discord.js';
import type { KeyValueStore, SecretSealer } from '../../../src/connector.js';
import type { REST } from 'discord.js';

export interface Webhook {
  id: string;
  token: string;
}

const key = (channelId: string) => `webhook:${channelId}`;

export class Webhooks {
  private readonly known = new Map<string, Promise<Webhook>>();
  /** Ids of our webhooks: their messages came from Matrix. */
  readonly ids = new Set<string>();

  constructor(
    private readonly rest: () => REST,
    private readonly kv: KeyValueStore,
    private readonly secrets: SecretSealer,
    private readonly name: string,
  ) {}

  /** Our webhook ids as stored, so that their messages are known as ours from the start. */
  async load(channelIds: string[]): Promise<void> {
    for (const channelId of channelIds) {
      const stored = await this.kv.get<{ id: string; token: string }>(key(channelId));
      if (stored) this.ids.add(stored.id);
    }
  }

  for(channelId: string): Promise<Webhook> {
    let hook = this.known.get(channelId);
    if (!hook) {
      hook = this.find(channelId);
      this.known.set(channelId, hook);
      hook.catch(() => this.known.delete(channelId));
    }
    return hook;
  }

  /** The webhook is gone (someone deleted it on Discord): the next use makes another. */
  async forget(channelId: string): Promise<void> {
    this.known.delete(channelId);
    await this.kv.delete(key(channelId));
  }

  private async find(channelId: string): Promise<Webhook> {
    const stored = await this.kv.get<{ id: string; token: string }>(key(channelId));
    if (stored) {
      this.ids.add(stored.id);
      return { id: stored.id, token: this.secrets.unseal(stored.token) };
    }
    const rest = this.rest();
    const existing = (await rest.get(
      Routes.channelWebhooks(channelId),
    )) as RESTGetAPIChannelWebhooksResult;
    const mine = existing.find((w) => w.name === this.name && w.token);
    const hook =
      mine ??
      ((await rest.post(Routes.channelWebhooks(channelId), {
        body: { name: this.name },
      })) as RESTPostAPIChannelWebhookResult);
    const found = { id: hook.id, token: hook.token! };
    this.ids.add(found.id);
    await this.kv.set(key(channelId), { id: found.id, token: this.secrets.seal(found.token) });
    return found;
  }
}

/**
 * A Matrix display name as a webhook username: 1 to 80 characters, no control characters, none
 * of what Discord refuses in names ("discord", "clyde", `@`, `#`, `:`, "```").
 */
export function webhookUsername(displayName: string, fallback: string): string {
  const clean = displayName
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/discord/gi, (w) => `${w[0]}-${w.slice(1)}`)
    .replace(/clyde/gi, (w) => `${w[0]}-${w.slice(1)}`)
    .replace(/```/g, "'''")
    .replace(/[@#:]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const name = [...(clean || fallback)].slice(0, 80).join('');
  return name.length >= 1 ? name : 'Matrix user';
}
