/**
 * Files from XMPP (XEP-0363 HTTP upload links, XEP-0066 out-of-band data) → Matrix media: the
 * bridge downloads the file (http(s) only, at most `media.max_bytes`, within `media.timeout_ms`,
 * TLS certificates checked, at most 3 redirects) and uploads it through core. Addresses on
 * loopback, private, link-local and other special networks are refused unless the admin allows
 * them (`media.allow_private_addresses`), checked on the address actually connected to, so a
 * link cannot make the bridge reach into its own network.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { Attachment, BridgeContext } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';

const MAX_REDIRECTS = 3;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

const SPECIAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  SPECIAL.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is on a loopback, private, link-local or other special network. */
export function isSpecialAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return SPECIAL.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return SPECIAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface MediaLimits {
  maxBytes: number;
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface Downloaded {
  data: Uint8Array;
  contentType: string;
  name: string;
}

/** A DNS lookup that refuses special addresses (for the connection itself: no rebinding). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const ok = allowPrivate ? addresses : addresses.filter((a) => !isSpecialAddress(a.address));
      if (ok.length === 0)
        return callback(
          Object.assign(new Error(`${hostname} is on a private network`), { code: 'EACCES' }),
          '',
          0,
        );
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/** The file's name: the URL's last path segment (XEP-0363 puts it there). */
export function fileName(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  name = name.replace(/[\x00-\x1f\x7f/\\]/g, '').slice(0, 200);
  return name || 'file';
}

/** Downloads `address` within the limits; rejects with a reason a person can read. */
export async function download(address: string, limits: MediaLimits): Promise<Downloaded> {
  let url = new URL(address);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`${url.protocol} links are not fetched`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !limits.allowPrivate && isSpecialAddress(host))
      throw new Error(`${host} is on a private network`);
    const res = await get(url, limits);
    if (res.status >= 300 && res.status < 400 && res.location) {
      if (hop >= MAX_REDIRECTS) throw new Error('too many redirects');
      url = new URL(res.location, url);
      continue;
    }
    if (res.status !== 200 || !res.data) throw new Error(`the server answered ${res.status}`);
    const type = (res.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    return {
      data: res.data,
      contentType: MIME.test(type) ? type : 'application/octet-stream',
      name: fileName(url),
    };
  }
}

function get(
  url: URL,
  limits: MediaLimits,
): Promise<{ status: number; location?: string; contentType?: string; data?: Uint8Array }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(
      url,
      {
        lookup: guardedLookup(limits.allowPrivate),
        timeout: limits.timeoutMs,
        headers: { 'user-agent': 'Switchboard XMPP bridge' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          return resolve({
            status,
            ...(res.headers.location ? { location: res.headers.location } : {}),
          });
        }
        const length = Number(res.headers['content-length'] ?? NaN);
        if (length > limits.maxBytes) {
          req.destroy();
          return reject(new Error(`the file is larger than ${limits.maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        res.on('data', (chunk: Buffer) => {
          if (tooLarge) return;
          size += chunk.length;
          if (size > limits.maxBytes) {
            tooLarge = true;
            reject(new Error(`the file is larger than ${limits.maxBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (tooLarge) return;
          resolve({
            status,
            ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}),
            data: new Uint8Array(Buffer.concat(chunks)),
          });
        });
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    deadline.unref?.();
    req.on('timeout', () => req.destroy(new Error(`no answer within ${limits.timeoutMs} ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(deadline));
  });
}

/**
 * A file link from XMPP as Matrix media: downloaded and uploaded through core, or undefined
 * (logged) when it cannot be, so that the link stays in the text instead.
 */
export async function mediaFromLink(
  ctx: BridgeContext<XmppConfig>,
  url: string,
): Promise<Attachment | undefined> {
  const { media } = ctx.config;
  if (!media.enabled) return undefined;
  try {
    const file = await download(url, {
      maxBytes: media.max_bytes,
      timeoutMs: media.timeout_ms,
      allowPrivate: media.allow_private_addresses,
    });
    const mxc = await ctx.uploadMedia(file.data, {
      contentType: file.contentType,
      filename: file.name,
    });
    return { url: mxc, name: file.name, mimeType: file.contentType, size: file.data.byteLength };
  } catch (err) {
    ctx.log.info(
      { err: { message: (err as Error).message } },
      'a file from XMPP stays a link (not fetched)',
    );
    return undefined;
  }
}
