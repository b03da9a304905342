/**
 * Avatars and names on XMPP, read and built through @xmpp/xml only: vCard-temp (XEP-0054) with
 * its PHOTO, the XEP-0153 photo hash in presences, XEP-0084 avatar metadata (PEP notifications)
 * and data items, and the XEP-0172 nick.
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';

export const VCARD = 'vcard-temp';
export const VCARD_UPDATE = 'vcard-temp:x:update';
export const AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const AVATAR_DATA = 'urn:xmpp:avatar:data';
export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';

/** An image: its bytes, its type, and its SHA-1 (hex): XEP-0153's and XEP-0084's id of it. */
export interface Photo {
  data: Uint8Array;
  type: string;
  sha1: string;
}

export const sha1Hex = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

/** Image types a ghost's avatar may have (what Matrix clients show); others are refused. */
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;
export const isImageType = (type: string): boolean => IMAGE.test(type);

/** The bytes base64 `text` stands for, without decoding: to refuse an oversized one first. */
export const base64Bytes = (text: string): number =>
  Math.floor((text.replace(/\s/g, '').length * 3) / 4);

/**
 * XEP-0153: the photo hash a presence advertises. `''`: the user has no avatar (`<photo/>`);
 * undefined: the presence says nothing about it (no element, or a client not ready to tell).
 */
export function presencePhotoHash(presence: Element): string | undefined {
  const x = presence.getChild('x', VCARD_UPDATE);
  const photo = x?.getChild('photo');
  if (!photo) return undefined;
  const hash = photo.getText().trim().toLowerCase();
  return /^[0-9a-f]{40}$/.test(hash) || hash === '' ? hash : undefined;
}

/** XEP-0172: the nick a presence or message carries. */
export function nickOf(el: Element): string | undefined {
  const nick = el.getChildText('nick', NS.nick)?.trim();
  return nick ? nick.slice(0, 256) : undefined;
}

/** What a vCard-temp says: the name (FN, else NICKNAME) and the photo, still base64. */
export function readVcard(vcard: Element | undefined): {
  name?: string;
  photo?: { type: string; base64: string };
} {
  if (!vcard) return {};
  const name = (vcard.getChildText('FN') ?? vcard.getChildText('NICKNAME'))?.trim();
  const photo = vcard.getChild('PHOTO');
  const base64 = photo?.getChildText('BINVAL')?.trim();
  const type = photo?.getChildText('TYPE')?.trim().toLowerCase() ?? 'image/png';
  return {
    ...(name ? { name: name.slice(0, 256) } : {}),
    ...(base64 ? { photo: { type, base64 } } : {}),
  };
}

/** A vCard-temp (the answer to an iq get) with a name and a photo, as far as they are known. */
export function buildVcard(name: string | undefined, photo: Photo | undefined): Element {
  return xml(
    'vCard',
    { xmlns: VCARD },
    name ? xml('FN', {}, xmlText(name)) : null,
    name ? xml('NICKNAME', {}, xmlText(name)) : null,
    photo
      ? xml(
          'PHOTO',
          {},
          xml('TYPE', {}, photo.type),
          xml('BINVAL', {}, Buffer.from(photo.data).toString('base64')),
        )
      : null,
  );
}

/** XEP-0153: the element a presence carries to tell its photo (`''`: none). */
export const photoUpdate = (sha1: string): Element =>
  xml('x', { xmlns: VCARD_UPDATE }, xml('photo', {}, sha1));

/**
 * XEP-0084: a PEP notification of a new avatar (`<event><items node=metadata>`): the id (the
 * SHA-1) and type of the image to fetch, `''` when the avatar was removed; undefined when the
 * message is not one.
 */
export function avatarNotification(
  message: Element,
): { id: string; type: string; bytes?: number } | '' | undefined {
  const items = message.getChild('event', PUBSUB_EVENT)?.getChild('items');
  if (items?.attrs.node !== AVATAR_METADATA) return undefined;
  const metadata = items.getChild('item')?.getChild('metadata', AVATAR_METADATA);
  if (!metadata) return undefined;
  // Several infos: the PNG one is the one every client publishes (XEP-0084 §4.2.1).
  const infos = metadata.getChildren('info').filter((i) => !i.attrs.url);
  if (infos.length === 0) return '';
  const info = infos.find((i) => i.attrs.type === 'image/png') ?? infos[0]!;
  const id = String(info.attrs.id ?? '').toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(id)) return undefined;
  const bytes = Number(info.attrs.bytes);
  return {
    id,
    type: String(info.attrs.type ?? 'image/png'),
    ...(Number.isFinite(bytes) ? { bytes } : {}),
  };
}

/** XEP-0084: the iq that fetches the image whose SHA-1 is `id` from `owner`'s PEP. */
export const avatarDataRequest = (from: string, to: string, id: string): Element =>
  xml(
    'iq',
    { type: 'get', from, to },
    xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: AVATAR_DATA }, xml('item', { id }))),
  );

/** The base64 image of an avatar data answer, if any. */
export function avatarDataOf(answer: Element): string | undefined {
  const data = answer
    .getChild('pubsub', PUBSUB)
    ?.getChild('items')
    ?.getChild('item')
    ?.getChild('data', AVATAR_DATA);
  const text = data?.getText().trim();
  return text || undefined;
}

/** A vCard-temp iq get, from `from` to `to` (a bare JID, or an occupant, which the room forwards). */
export const vcardRequest = (from: string, to: string): Element =>
  xml('iq', { type: 'get', from, to }, xml('vCard', { xmlns: VCARD }));
