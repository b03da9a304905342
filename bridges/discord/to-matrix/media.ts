/**
 * Discord media → Matrix media. Files are fetched from Discord's CDN only (`cdn_url`, and the
 * media proxy when that is Discord's own; redirects are not followed, so a message cannot make
 * the bridge fetch anything else), at most `max_media_bytes` (read no further than that), and
 * uploaded to the homeserver (`ctx.uploadMedia`). What cannot be (too large, the CDN or the
 * homeserver failing) is left to the caller to show as a link. Custom emoji and avatars are
 * uploaded once and remembered in the store: by emoji id, and by user with their avatar's hash.
 */
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../src/connector.js';

export const DISCORD_CDN = 'https://cdn.discordapp.com';
export const DISCORD_MEDIA_PROXY = 'https://media.discordapp.net';
const FETCH_TIMEOUT_MS = 30_000;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

export interface MediaDeps {
  upload(data: Uint8Array, opts: { contentType: string; filename?: string }): Promise<string>;
  kv: KeyValueStore;
  log: Logger;
  /** `max_media_bytes`: larger files are not fetched (0: none are). */
  maxBytes: number;
  /** `cdn_url`, when set (else Discord's CDN and media proxy). */
  cdnUrl?: string;
}

/** Why a file was not re-uploaded, for the log and the link's text. */
export class MediaSkipped extends Error {}

export class DiscordMedia {
  readonly cdn: string;
  private readonly origins: Set<string>;
  /** Emoji already uploaded this run, by id (the store keeps them across restarts). */
  private readonly emojis = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: MediaDeps) {
    this.cdn = (deps.cdnUrl ?? DISCORD_CDN).replace(/\/$/, '');
    this.origins = new Set(
      deps.cdnUrl ? [new URL(deps.cdnUrl).origin] : [DISCORD_CDN, DISCORD_MEDIA_PROXY],
    );
  }

  /** Whether a URL is on Discord's CDN (only those are fetched). */
  onCdn(url: string): boolean {
    try {
      return this.origins.has(new URL(url).origin);
    } catch {
      return false;
    }
  }

  /** Fetches a CDN file of at most `maxBytes`. Throws MediaSkipped with the reason otherwise. */
  async fetch(url: string, knownSize?: number): Promise<{ data: Uint8Array; contentType: string }> {
    const max = this.deps.maxBytes;
    if (!this.onCdn(url)) throw new MediaSkipped('not on Discord’s CDN');
    if (knownSize !== undefined && knownSize > max)
      throw new MediaSkipped(`larger than the bridge re-uploads (${max} bytes)`);
    const res = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    }).catch((err: unknown) => {
      throw new MediaSkipped(`Discord’s CDN could not be reached: ${(err as Error).message}`);
    });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new MediaSkipped(`Discord’s CDN answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await res.body.cancel();
      throw new MediaSkipped(`larger than the bridge re-uploads (${max} bytes)`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel();
        throw new MediaSkipped(`larger than the bridge re-uploads (${max} bytes)`);
      }
      chunks.push(value);
    }
    const data = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    const type = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    return { data, contentType: MIME.test(type) ? type : 'application/octet-stream' };
  }

  /**
   * A CDN file as Matrix media: its `mxc://` URL, or undefined (logged with why) when it is too
   * large or could not be fetched or uploaded.
   */
  async reupload(
    url: string,
    opts: { name: string; mimeType?: string; size?: number },
    log: Record<string, unknown> = {},
  ): Promise<{ mxc: string; mimeType: string; size: number } | undefined> {
    try {
      const file = await this.fetch(url, opts.size);
      const mimeType = opts.mimeType && MIME.test(opts.mimeType) ? opts.mimeType : file.contentType;
      const mxc = await this.deps.upload(file.data, { contentType: mimeType, filename: opts.name });
      return { mxc, mimeType, size: file.data.byteLength };
    } catch (err) {
      this.deps.log.info(
        { ...log, size: opts.size, reason: (err as Error).message },
        'a Discord file goes to Matrix as a link',
      );
      return undefined;
    }
  }

  /** A custom emoji's image as Matrix media (uploaded once), or undefined. */
  emoji(id: string, name: string): Promise<string | undefined> {
    let known = this.emojis.get(id);
    if (!known) {
      known = this.storedOrUploaded(
        `emoji-mxc:${id}`,
        `${this.cdn}/emojis/${id}.png`,
        `${name}.png`,
        // The way back: a Matrix reaction with this image is this emoji on Discord.
        (mxc) => this.deps.kv.set(`mxc-emoji:${mxc}`, `${name.replace(/:/g, '')}:${id}`),
      );
      this.emojis.set(id, known);
      // A failure is not remembered: the next use tries again.
      void known.then((mxc) => mxc ?? this.emojis.delete(id));
    }
    return known;
  }

  /**
   * A user's avatar as Matrix media, uploaded when `key` (the avatar's hash) changed since the
   * last upload; undefined when it cannot be had (their avatar stays as it was).
   */
  async avatar(userId: string, key: string, url: string): Promise<string | undefined> {
    const stored = await this.deps.kv.get<{ key: string; mxc: string }>(`avatar:${userId}`);
    if (stored?.key === key) return stored.mxc;
    const up = await this.reupload(url, { name: 'avatar.png' }, { user: userId });
    if (up) await this.deps.kv.set(`avatar:${userId}`, { key, mxc: up.mxc });
    return up?.mxc;
  }

  /** The Discord emoji (`name:id`) whose image is this Matrix media, when the bridge uploaded it. */
  emojiOf(mxc: string): Promise<string | undefined> {
    return this.deps.kv.get<string>(`mxc-emoji:${mxc}`);
  }

  private async storedOrUploaded(
    key: string,
    url: string,
    name: string,
    uploaded: (mxc: string) => Promise<void>,
  ) {
    const stored = await this.deps.kv.get<string>(key);
    if (stored) return stored;
    const up = await this.reupload(url, { name });
    if (up) {
      await uploaded(up.mxc);
      await this.deps.kv.set(key, up.mxc);
    }
    return up?.mxc;
  }
}

/** How long a Matrix avatar's public link is reused for new messages (core's links last hours). */
const AVATAR_LINK_REUSE_MS = 30 * 60_000;
const MAX_AVATAR_LINKS = 10_000;

/**
 * Matrix users' avatars as links Discord fetches for the webhook's `avatar_url`: one link per
 * avatar reused for a while, so Discord sees the same URL (and caches the picture) across messages.
 */
export class AvatarLinks {
  private readonly links = new Map<string, { url: string | undefined; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async link(mxc: string, make: () => Promise<string | undefined>): Promise<string | undefined> {
    const known = this.links.get(mxc);
    if (known && this.now() - known.at < AVATAR_LINK_REUSE_MS) return known.url;
    const url = await make().catch(() => undefined);
    this.links.delete(mxc);
    this.links.set(mxc, { url, at: this.now() });
    if (this.links.size > MAX_AVATAR_LINKS) this.links.delete(this.links.keys().next().value!);
    return url;
  }
}
