/**
 * Public links: for networks that carry only text (IRC), a link anyone can open to Matrix media
 * or to a long message's full text, served by the bridge's own listener. Authenticated media
 * needs a Matrix token, which people on IRC do not have: the bridge fetches the file with its own.
 *
 *   <url>/_switchboard/media/<token>/<file name>
 *   <url>/_switchboard/text/<token>
 *
 * A token names its target (an mxc URI, or the number of a kept text) and when it expires, and
 * carries an HMAC-SHA256 of both (and of the file name, so a link cannot be renamed to `x.html`)
 * with a key of its own derived from the bridge's secret key. Nothing else is kept for media: a
 * link to a file costs no storage. The signature is cut to 128 bits to keep links short on IRC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PublicLinkTarget } from '../connector.js';
import type { KeyValue } from '../store/store.js';
import { PublicTexts } from './public-texts.js';

const SIGNATURE_BYTES = 16;

export type LinkClaim =
  | { kind: 'media'; mxc: string; expiresAt: number }
  | { kind: 'text'; id: number; expiresAt: number };

export type LinkVerdict =
  | { ok: true; claim: LinkClaim }
  /** `invalid`: not ours, changed, or malformed (answered as if there were no such link). */
  | { ok: false; reason: 'invalid' | 'expired' };

const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

/** Makes and checks tokens. `expiresAt` is in ms, kept at a second's precision. */
export class LinkSigner {
  private cachedKey?: Buffer;

  constructor(private readonly deriveKey: () => Buffer) {}

  sign(claim: LinkClaim, name = ''): string {
    const payload = Buffer.from(encodeClaim(claim), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload, name).toString('base64url')}`;
  }

  verify(token: string, name = '', now = Date.now()): LinkVerdict {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'invalid' };
    // Compared as text: base64url's last character has spare bits, so decoding would accept
    // several spellings of one signature.
    const given = Buffer.from(signature, 'utf8');
    const expected = Buffer.from(this.mac(payload, name).toString('base64url'), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'invalid' };
    const claim = decodeClaim(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!claim) return { ok: false, reason: 'invalid' };
    if (claim.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, claim };
  }

  private mac(payload: string, name: string): Buffer {
    // The name after a NUL: no payload (base64url) can contain one, so no two inputs collide.
    return createHmac('sha256', (this.cachedKey ??= this.deriveKey()))
      .update(`${payload}\0${name}`)
      .digest()
      .subarray(0, SIGNATURE_BYTES);
  }
}

function encodeClaim(claim: LinkClaim): string {
  const seconds = Math.ceil(claim.expiresAt / 1000);
  return claim.kind === 'media' ? `m ${seconds} ${claim.mxc}` : `t ${seconds} ${claim.id}`;
}

function decodeClaim(text: string): LinkClaim | undefined {
  const match = /^([mt]) (\d{1,12}) (\S+)$/.exec(text);
  if (!match) return undefined;
  const expiresAt = Number(match[2]) * 1000;
  if (match[1] === 'm')
    return MXC.test(match[3]!) ? { kind: 'media', mxc: match[3]!, expiresAt } : undefined;
  return /^\d{1,15}$/.test(match[3]!)
    ? { kind: 'text', id: Number(match[3]), expiresAt }
    : undefined;
}

/**
 * A file name safe in a URL path and a `Content-Disposition` header: no path separators,
 * quotes, control or invisible format characters, at most 80 characters (the extension kept).
 */
export function safeFileName(name: string): string {
  const clean = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}/\\"*:<>?|%]/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const chars = [...clean];
  if (chars.length === 0) return 'file';
  if (chars.length <= 80) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 12 ? clean.slice(dot) : '';
  return chars.slice(0, 80 - [...ext].length).join('') + ext;
}

export interface PublicLinksOptions {
  /** Where people outside reach the listener (`public_links.url`). */
  url: string;
  ttlHours: number;
  /** The signing key (`secretKey.derive('public-links')`), asked for on first use. */
  key: () => Buffer;
  kv: KeyValue;
  /** The bot's authenticated media download, which serves media links. */
  download(mxc: string): Promise<{ data: Uint8Array; contentType: string }>;
  now?: () => number;
}

export class PublicLinks {
  readonly signer: LinkSigner;
  readonly texts: PublicTexts;
  private readonly base: string;
  private readonly ttlMs: number;
  private readonly now: () => number;
  readonly download: PublicLinksOptions['download'];

  constructor(opts: PublicLinksOptions) {
    this.download = opts.download;
    this.base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
    this.ttlMs = opts.ttlHours * 3_600_000;
    this.now = opts.now ?? Date.now;
    this.signer = new LinkSigner(opts.key);
    this.texts = new PublicTexts(opts.kv, this.now);
  }

  /** A link to the media or text; a text is kept until the link expires. */
  async link(target: PublicLinkTarget): Promise<string> {
    // Whole seconds, so the text and its link expire at the same moment.
    const expiresAt = Math.ceil((this.now() + this.ttlMs) / 1000) * 1000;
    if ('text' in target) {
      const id = await this.texts.add(target.text, expiresAt);
      return `${this.base}_switchboard/text/${this.signer.sign({ kind: 'text', id, expiresAt })}`;
    }
    if (!MXC.test(target.mxc)) throw new TypeError(`not an mxc URI: ${target.mxc.slice(0, 100)}`);
    const name = safeFileName(target.name);
    const token = this.signer.sign({ kind: 'media', mxc: target.mxc, expiresAt }, name);
    return `${this.base}_switchboard/media/${token}/${encodeURIComponent(name)}`;
  }

  /** Deletes kept texts whose links have expired; resolves to how many. */
  prune(): Promise<number> {
    return this.texts.prune();
  }

  verify(token: string, name?: string): LinkVerdict {
    return this.signer.verify(token, name, this.now());
  }
}
