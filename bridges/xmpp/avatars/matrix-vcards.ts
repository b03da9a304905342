/**
 * Matrix → XMPP: Matrix users' names and avatars as XMPP clients read them. Each Matrix event
 * core hands the bridge names its sender's display name and avatar (`MatrixSender`): they are
 * noted (and kept in the bridge's store, so a vCard asked for after a restart is answered), the
 * avatar fetched through core's media access (at most `avatars.max_bytes`, images only) and its
 * SHA-1 advertised in the user's presences (XEP-0153). A vCard-temp iq get to their address is
 * answered with FN and NICKNAME (the display name) and PHOTO (the avatar). Their Matrix presence
 * (which core hands on as the homeserver sends it) is kept too, for their presences on XMPP.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import type { BridgeContext, MatrixPresence, MatrixSender } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import { serverOf } from '../deps.js';
import { jidMatrixUser, safeJid } from '../ids.js';
import { Lru } from '../util/lru.js';
import { capsElement } from '../connection/caps.js';
import { USER_CAPS_VER } from '../connection/disco.js';
import { NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';
import { buildVcard, isImageType, photoUpdate, sha1Hex, type Photo } from './vcard.js';

interface Profile {
  displayName: string;
  avatarUrl?: string;
}

const MAX_USERS = 10_000;
const MAX_PHOTOS = 256;

export class MatrixProfiles {
  private readonly profiles = new Lru<string, Profile>(MAX_USERS);
  /** mxc → its image (null: refused, too large or not an image), and its hash. */
  private readonly photos = new Lru<string, Photo | null>(MAX_PHOTOS);
  private readonly loading = new Map<string, Promise<Photo | undefined>>();
  /** Matrix users' presence as the homeserver last told it (none told: available). */
  private readonly presences = new Lru<string, MatrixPresence>(MAX_USERS);
  /** A user's avatar hash changed (their presences in MUCs tell it again). */
  onPhotoChange?: (userId: string) => void;

  constructor(private readonly ctx: BridgeContext<XmppConfig>) {}

  /** A Matrix event's sender: their profile noted when it changed (the photo fetched then). */
  note(sender: MatrixSender): void {
    if (sender.viaBridge) return; // another bridge's ghost has no XMPP address of ours
    const before = this.profiles.get(sender.userId);
    const now: Profile = {
      displayName: sender.displayName,
      ...(sender.avatarUrl ? { avatarUrl: sender.avatarUrl } : {}),
    };
    if (before?.displayName === now.displayName && before.avatarUrl === now.avatarUrl) return;
    this.profiles.set(sender.userId, now);
    void this.ctx.kv.set(`profile:${sender.userId}`, now).catch(() => undefined);
    if (before?.avatarUrl === now.avatarUrl) return;
    void this.photoOf(now).then(() => this.onPhotoChange?.(sender.userId));
  }

  /**
   * XEP-0153's hash of a user's avatar for their presences: `''` when they have none, undefined
   * while it is not known (not fetched yet, or refused).
   */
  hash(userId: string): string | undefined {
    const p = this.profiles.get(userId);
    if (!p) return undefined;
    if (!p.avatarUrl || !this.ctx.config.avatars.enabled) return '';
    return this.photos.get(p.avatarUrl)?.sha1;
  }

  /** A Matrix user's new presence; false when it is the one known already. */
  setPresence(p: MatrixPresence): boolean {
    const before = this.presences.get(p.userId);
    if (before?.presence === p.presence && before.statusMsg === p.statusMsg) return false;
    this.presences.set(p.userId, p);
    return true;
  }

  /** Offline on Matrix (their contacts see them unavailable; their MUC occupants stay, `xa`). */
  offline(userId: string): boolean {
    return this.presences.get(userId)?.presence === 'offline';
  }

  /**
   * What a Matrix user's available presence carries: `<show>` (away: `away`, offline: `xa`),
   * `<status>`, the XEP-0153 hash of their avatar when known, and their XEP-0115 capabilities.
   */
  presenceChildren(userId: string): Element[] {
    const p = this.presences.get(userId);
    const show = p?.presence === 'unavailable' ? 'away' : p?.presence === 'offline' ? 'xa' : '';
    const hash = this.hash(userId);
    return [
      ...(show ? [xml('show', {}, show)] : []),
      ...(p?.statusMsg ? [xml('status', {}, xmlText(p.statusMsg.slice(0, 1024)))] : []),
      ...(hash === undefined ? [] : [photoUpdate(hash)]),
      capsElement(USER_CAPS_VER),
    ];
  }

  /** Answers a vCard-temp iq get to a Matrix user's address. */
  async answer(iq: Element): Promise<Element> {
    const to = safeJid(iq.attrs.to ?? '');
    const userId = to && jidMatrixUser(to, this.ctx.config.domain);
    if (!userId || serverOf(userId) !== this.ctx.domain) return notFound();
    const profile =
      this.profiles.get(userId) ?? (await this.ctx.kv.get<Profile>(`profile:${userId}`));
    if (!profile) return buildVcard(undefined, undefined); // not met yet: an empty vCard
    if (!this.profiles.get(userId)) this.profiles.set(userId, profile);
    return buildVcard(profile.displayName, await this.photoOf(profile));
  }

  /** The profile's avatar, fetched once per mxc URL. */
  private photoOf(p: Profile): Promise<Photo | undefined> {
    const mxc = p.avatarUrl;
    if (!mxc || !this.ctx.config.avatars.enabled) return Promise.resolve(undefined);
    const known = this.photos.get(mxc);
    if (known !== undefined) return Promise.resolve(known ?? undefined);
    let loading = this.loading.get(mxc);
    if (!loading) {
      loading = this.fetch(mxc).finally(() => this.loading.delete(mxc));
      this.loading.set(mxc, loading);
    }
    return loading;
  }

  private async fetch(mxc: string): Promise<Photo | undefined> {
    const { ctx } = this;
    const max = ctx.config.avatars.max_bytes;
    try {
      const { data, contentType } = await ctx.downloadMedia(mxc);
      const type = contentType.split(';')[0]!.trim().toLowerCase();
      if (data.length > max || !isImageType(type)) {
        ctx.log.warn(
          { mxc, bytes: data.length, max, type },
          data.length > max
            ? 'Matrix avatar over avatars.max_bytes: not given to XMPP'
            : 'Matrix avatar not an image XMPP clients show: not given',
        );
        this.photos.set(mxc, null);
        return undefined;
      }
      const photo = { data, type, sha1: sha1Hex(data) };
      this.photos.set(mxc, photo);
      return photo;
    } catch (err) {
      ctx.log.info({ err, mxc }, 'a Matrix avatar could not be fetched');
      return undefined;
    }
  }
}

const notFound = () =>
  xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS.stanzas }));
