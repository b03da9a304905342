/**
 * XMPP → Matrix: ghosts' avatars and presence. An avatar is fetched when an XMPP user tells a new
 * one: the XEP-0153 hash in their presence (their vCard-temp PHOTO is fetched only when the hash
 * changed; a vCard without one falls back to the XEP-0084 data item of that id), or a XEP-0084
 * PEP notification (the data fetched by id). The image is uploaded once per SHA-1 (kept in the
 * bridge's store, so an unchanged avatar is never uploaded twice, across restarts too) and set on
 * the ghost. Oversized or non-image avatars are refused with a log line. Their presence (online,
 * away, gone) is set on the ghost too, which also makes it wear a new avatar at once.
 */
import type { PortalKey, RemoteUserId } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import {
  avatarDataOf,
  avatarDataRequest,
  base64Bytes,
  isImageType,
  readVcard,
  sha1Hex,
  vcardRequest,
  VCARD,
} from './vcard.js';
import { kept } from '../util/kept.js';

/** Where a ghost's XMPP user is asked for their avatar, and which portal their events go to. */
export interface AvatarSource {
  ghost: RemoteUserId;
  portal: PortalKey;
  /** The address the question goes from (ours: the component, or our occupant in their MUC). */
  from: string;
  /** Their address (bare, or their occupant's, which the MUC forwards to their account). */
  to: string;
}

export type GhostPresence = 'online' | 'unavailable' | 'offline';

interface Known {
  hash: string;
  mxc?: string;
}

const IQ_TIMEOUT_MS = 10_000;

export class GhostAvatars {
  /** Ghost → the hash it was last seen with (this run; the store has it across runs). */
  private readonly known = new Map<string, string>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly presence = new Map<string, { presence: GhostPresence; status?: string }>();

  constructor(private readonly d: XmppDeps) {}

  /**
   * An XMPP user told their avatar's hash (XEP-0153 or XEP-0084's id; `''`: none): fetched and
   * set when it differs from the ghost's. `via` `pep`: straight from their PEP data node.
   */
  told(src: AvatarSource, hash: string, via: 'vcard' | 'pep' = 'vcard'): void {
    if (!this.d.ctx.config.avatars.enabled || this.known.get(src.ghost) === hash) return;
    this.known.set(kept(src.ghost), kept(hash));
    this.run(src.ghost, () => this.update(src, hash, via));
  }

  /** No hash told (a contact who writes without presence): their vCard, once per run. */
  unknown(src: AvatarSource): void {
    if (!this.d.ctx.config.avatars.enabled || this.known.has(src.ghost)) return;
    this.known.set(kept(src.ghost), '?');
    this.run(src.ghost, () => this.update(src, undefined, 'vcard'));
  }

  /** The ghost's presence in Matrix (emitted when it changes). */
  setPresence(src: AvatarSource, presence: GhostPresence, status?: string): void {
    const before = this.presence.get(src.ghost);
    if (before?.presence === presence && before.status === status) return;
    this.presence.set(kept(src.ghost), { presence, ...(status ? { status: kept(status) } : {}) });
    this.emitPresence(src);
  }

  private emitPresence(src: AvatarSource): void {
    const p = this.presence.get(src.ghost) ?? { presence: 'online' as const };
    void this.d.chain.run(
      src.portal,
      () =>
        this.d.emit({
          kind: 'presence',
          portal: src.portal,
          sender: src.ghost,
          presence: p.presence,
          ...(p.status ? { status: p.status } : {}),
        }),
      (err) => this.d.ctx.log.debug({ err, portal: src.portal }, "a ghost's presence was not set"),
    );
  }

  /** One update at a time per ghost, in the order told. */
  private run(ghost: string, task: () => Promise<void>): void {
    const before = this.busy.get(ghost) ?? Promise.resolve();
    const next = before
      .then(task)
      .catch((err: unknown) =>
        this.d.ctx.log.info({ err, xmpp: ghost }, "an XMPP user's avatar was not fetched"),
      )
      .finally(() => {
        if (this.busy.get(ghost) === next) this.busy.delete(ghost);
      });
    this.busy.set(ghost, next);
  }

  private async update(src: AvatarSource, hash: string | undefined, via: string): Promise<void> {
    const { ctx } = this.d;
    const key = `avatar:${src.ghost}`;
    const stored = await ctx.kv.get<Known>(key);
    if (hash !== undefined && stored?.hash === hash) return; // unchanged since before
    if (hash === '') {
      if (stored?.mxc) await this.apply(src, '', key, { hash: '' });
      return;
    }
    const image =
      via === 'pep' && hash ? await this.pepData(src, hash) : await this.vcardPhoto(src, hash);
    if (!image) return;
    const max = ctx.config.avatars.max_bytes;
    const bytes = base64Bytes(image.base64);
    if (bytes > max || !isImageType(image.type)) {
      ctx.log.warn(
        { xmpp: src.ghost, portal: src.portal, bytes, max, type: image.type },
        bytes > max
          ? 'XMPP avatar over avatars.max_bytes: refused'
          : 'XMPP avatar not an image: refused',
      );
      await ctx.kv.set<Known>(key, { hash: hash ?? '?' });
      return;
    }
    const data = new Uint8Array(Buffer.from(image.base64, 'base64'));
    const sha1 = sha1Hex(data);
    if (stored?.hash === sha1 && stored.mxc) return;
    let mxc = await ctx.kv.get<string>(`avatar-mxc:${sha1}`);
    if (!mxc) {
      mxc = await ctx.uploadMedia(data, { contentType: image.type, filename: `avatar-${sha1}` });
      await ctx.kv.set(`avatar-mxc:${sha1}`, mxc);
      ctx.log.info(
        { xmpp: src.ghost, portal: src.portal, bytes: data.length },
        'XMPP avatar uploaded',
      );
    }
    await this.apply(src, mxc, key, { hash: hash ?? sha1, mxc });
  }

  /**
   * The ghost wears `mxc` (`''`: none) from its next act: its presence, emitted now. In the
   * portal's order, after the ghost was named there (core's profile write is not atomic).
   */
  private async apply(src: AvatarSource, mxc: string, key: string, known: Known): Promise<void> {
    let failed: unknown;
    await this.d.chain.run(
      src.portal,
      () => this.d.ctx.setGhostProfile(src.ghost, { avatarUrl: mxc }),
      (err) => (failed = err),
    );
    if (failed) throw failed;
    await this.d.ctx.kv.set<Known>(key, known);
    this.emitPresence(src);
  }

  /** Their vCard's PHOTO; without one, the XEP-0084 image of `hash` (what clients publish). */
  private async vcardPhoto(
    src: AvatarSource,
    hash: string | undefined,
  ): Promise<{ type: string; base64: string } | undefined> {
    const answer = await this.d.link
      .request(vcardRequest(src.from, src.to), IQ_TIMEOUT_MS)
      .catch(() => undefined);
    const photo = readVcard(answer?.getChild('vCard', VCARD)).photo;
    if (photo || !hash) return photo;
    return this.pepData(src, hash);
  }

  private async pepData(
    src: AvatarSource,
    id: string,
  ): Promise<{ type: string; base64: string } | undefined> {
    const answer = await this.d.link
      .request(avatarDataRequest(src.from, src.to, id), IQ_TIMEOUT_MS)
      .catch(() => undefined);
    const base64 = answer && avatarDataOf(answer);
    if (!base64) return undefined;
    // XEP-0084 data has no type of its own: PNG unless its bytes say otherwise.
    return { type: sniff(base64), base64 };
  }
}

/** An image's type from its first bytes (XEP-0084 data items carry none). */
function sniff(base64: string): string {
  const head = Buffer.from(base64.slice(0, 16), 'base64');
  if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
  if (head.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  if (head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'image/png';
}
