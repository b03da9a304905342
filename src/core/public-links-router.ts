/**
 * Serves public links (public-links.ts) on the bridge's listener. Anyone on the internet may ask,
 * so every answer is inert: `nosniff`, a CSP that runs nothing, and only kinds of media a browser
 * shows without running anything are shown inline; all else (HTML, SVG, PDF, …) is a download.
 * A bad or changed link gets 404 and an expired one 410, with a short plain message that says
 * nothing about the target.
 */
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { MatrixError } from '../matrix/errors.js';
import type { PublicLinks } from './public-links.js';

/** Shown inline; everything else is sent as an attachment. */
const INLINE = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/webm',
  'audio/flac',
  'text/plain',
]);

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** Even a file opened from the link runs nothing and loads nothing. */
const CSP =
  "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

function inert(res: Response): Response {
  return res.set({
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': CSP,
    'Referrer-Policy': 'no-referrer',
  });
}

function plain(res: Response, status: number, message: string): void {
  inert(res)
    .status(status)
    .set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    .send(`${message}\n`);
}

/** RFC 6266: an ASCII fallback for old clients, and the UTF-8 name in `filename*`. */
export function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const utf8 = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/** Caches may keep an answer as long as its link lives, and a day at most. */
const maxAge = (expiresAt: number) =>
  `private, max-age=${Math.max(0, Math.min(86_400, Math.floor((expiresAt - Date.now()) / 1000)))}`;

export function publicLinksRouter(links: PublicLinks, log: Logger): Router {
  const router = Router();

  router.get('/_switchboard/media/:token/:name', async (req, res) => {
    const { token, name } = req.params;
    const verdict = links.verify(token, name);
    if (!verdict.ok) return refuse(res, verdict.reason);
    if (verdict.claim.kind !== 'media') return refuse(res, 'invalid');
    let media: { data: Uint8Array; contentType: string };
    try {
      media = await links.download(verdict.claim.mxc);
    } catch (err) {
      if (err instanceof MatrixError && err.status === 404)
        return plain(res, 404, 'This file is no longer available.');
      log.warn({ err, mxc: verdict.claim.mxc }, 'a public media link could not be served');
      return plain(res, 502, 'The file could not be fetched just now; try again later.');
    }
    const type = media.contentType.split(';')[0]!.trim().toLowerCase();
    const contentType = MIME.test(type) ? media.contentType : 'application/octet-stream';
    inert(res)
      .status(200)
      .set({
        'Content-Type': contentType,
        'Content-Disposition': contentDisposition(INLINE.has(type) ? 'inline' : 'attachment', name),
        'Content-Length': String(media.data.byteLength),
        'Cache-Control': maxAge(verdict.claim.expiresAt),
      })
      .end(Buffer.from(media.data.buffer, media.data.byteOffset, media.data.byteLength));
  });

  router.get('/_switchboard/text/:token', async (req, res) => {
    const verdict = links.verify(req.params.token);
    if (!verdict.ok) return refuse(res, verdict.reason);
    if (verdict.claim.kind !== 'text') return refuse(res, 'invalid');
    const text = await links.texts.get(verdict.claim.id);
    if (text === undefined) return refuse(res, 'invalid'); // pruned early, or another database
    inert(res)
      .status(200)
      .set({
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': 'inline',
        'Cache-Control': maxAge(verdict.claim.expiresAt),
      })
      .send(text);
  });

  return router;
}

function refuse(res: Response, reason: 'invalid' | 'expired'): void {
  if (reason === 'expired') plain(res, 410, 'This link has expired.');
  else plain(res, 404, 'No such link.');
}
