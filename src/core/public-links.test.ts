import { createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MatrixError } from '../matrix/errors.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { LinkSigner, PublicLinks, safeFileName } from './public-links.js';
import { contentDisposition, publicLinksRouter } from './public-links-router.js';
import { PUBLIC_TEXT_NAMESPACE } from './public-texts.js';

const HOUR = 3_600_000;
const MXC = 'mxc://example.org/AbCdEf123_-';

let store: Store;
let clock: number;
const key = randomBytes(32);
const files = new Map<string, { data: Uint8Array; contentType: string }>();

function makeLinks(url = 'https://bridge.example.org/', signingKey = key) {
  return new PublicLinks({
    url,
    ttlHours: 2,
    key: () => signingKey,
    kv: store.kv,
    now: () => clock,
    download: async (mxc) => {
      const file = files.get(mxc);
      if (!file) throw new MatrixError(404, 'M_NOT_FOUND', 'not found');
      return file;
    },
  });
}

/** The token (and file name) of a link. */
function parts(link: string): { token: string; name?: string } {
  const [, kind, token, name] = /_switchboard\/(media|text)\/([^/]+)(?:\/(.+))?$/.exec(link)!;
  return kind === 'media' ? { token: token!, name: decodeURIComponent(name!) } : { token: token! };
}

beforeEach(async () => {
  store = await openStore(':memory:');
  clock = Date.UTC(2026, 0, 1);
});
afterEach(() => store.close());

describe('public link tokens', () => {
  it('makes a media link under the configured URL, with the file name, that verifies', async () => {
    const links = makeLinks('https://example.org/bridge');
    const link = await links.link({ mxc: MXC, name: 'cat picture.png' });
    expect(link).toMatch(
      /^https:\/\/example\.org\/bridge\/_switchboard\/media\/[\w-]+\.[\w-]+\/cat%20picture\.png$/,
    );
    const { token, name } = parts(link);
    expect(links.verify(token, name)).toEqual({
      ok: true,
      claim: { kind: 'media', mxc: MXC, expiresAt: clock + 2 * HOUR },
    });
  });

  it('refuses a changed payload, signature or file name, and another key', async () => {
    const links = makeLinks();
    const { token, name } = parts(await links.link({ mxc: MXC, name: 'a.png' }));
    const [payload, signature] = token.split('.') as [string, string];
    const otherPayload = Buffer.from(
      Buffer.from(payload, 'base64url').toString().replace('AbCdEf', 'ZZZZZZ'),
    ).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    const refused = { ok: false, reason: 'invalid' };
    expect(links.verify(`${otherPayload}.${signature}`, name)).toEqual(refused);
    expect(links.verify(`${payload}.${flipped}`, name)).toEqual(refused);
    expect(links.verify(`${payload}.${signature.slice(0, 10)}`, name)).toEqual(refused);
    expect(links.verify(token, 'a.html')).toEqual(refused);
    expect(links.verify(`${token}.x`, name)).toEqual(refused);
    expect(links.verify('garbage', name)).toEqual(refused);
    expect(makeLinks(undefined, randomBytes(32)).verify(token, name)).toEqual(refused);
  });

  it('says a genuine link has expired once its time is up, and not before', async () => {
    const links = makeLinks();
    const { token, name } = parts(await links.link({ mxc: MXC, name: 'a.png' }));
    clock += 2 * HOUR - 1000;
    expect(links.verify(token, name).ok).toBe(true);
    clock += 1000;
    expect(links.verify(token, name)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a correctly signed payload of a shape it would not make', () => {
    const signer = new LinkSigner(() => key);
    const sign = (payload: string) => {
      const encoded = Buffer.from(payload).toString('base64url');
      const mac = createHmac('sha256', key).update(`${encoded}\0`).digest().subarray(0, 16);
      return `${encoded}.${mac.toString('base64url')}`;
    };
    expect(signer.verify(sign('t 99999999999 7'))).toEqual({
      ok: true,
      claim: { kind: 'text', id: 7, expiresAt: 99999999999000 },
    });
    expect(signer.verify(sign('m 99999999999 https://evil.example/x')).ok).toBe(false);
    expect(signer.verify(sign('t 99999999999 7 8')).ok).toBe(false);
  });

  it('does not link to something that is not an mxc URI', async () => {
    await expect(makeLinks().link({ mxc: 'https://evil.example/x', name: 'x' })).rejects.toThrow(
      /not an mxc URI/,
    );
  });
});

describe('kept texts', () => {
  it('keeps a text until its link expires, then prunes it, oldest first, and only those', async () => {
    const links = makeLinks();
    const first = parts(await links.link({ text: 'first\nlong message' }));
    clock += HOUR;
    const second = parts(await links.link({ text: 'second' }));
    const idOf = (token: string) => {
      const verdict = links.verify(token);
      if (!verdict.ok || verdict.claim.kind !== 'text') throw new Error('not a text link');
      return verdict.claim.id;
    };
    expect(await links.texts.get(idOf(first.token))).toBe('first\nlong message');
    const firstId = idOf(first.token);
    const secondId = idOf(second.token);

    clock += HOUR; // the first has expired, the second has an hour to go
    expect(links.verify(first.token)).toEqual({ ok: false, reason: 'expired' });
    expect(await links.texts.get(firstId)).toBeUndefined();
    expect(await links.prune()).toBe(1);
    expect(await store.kv.get(PUBLIC_TEXT_NAMESPACE, `t:${firstId}`)).toBeUndefined();
    expect(await links.texts.get(secondId)).toBe('second');

    clock += HOUR;
    expect(await links.prune()).toBe(1);
    expect(await store.kv.get(PUBLIC_TEXT_NAMESPACE, `t:${secondId}`)).toBeUndefined();
    expect(await links.prune()).toBe(0);
  });

  it('numbers texts made at once apart', async () => {
    const links = makeLinks();
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => links.link({ text: `text ${i}` })),
    );
    const texts = await Promise.all(
      made.map(async (link) => {
        const verdict = links.verify(parts(link).token);
        return verdict.ok && verdict.claim.kind === 'text'
          ? links.texts.get(verdict.claim.id)
          : undefined;
      }),
    );
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `text ${i}`));
  });
});

describe('safeFileName', () => {
  it('keeps ordinary names and removes what could escape a path or a header', () => {
    expect(safeFileName('holiday photo.jpg')).toBe('holiday photo.jpg');
    expect(safeFileName('Übung – 1.pdf')).toBe('Übung – 1.pdf');
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('a"b\r\nc\\d%2f')).toBe('a_b__c_d_2f');
    expect(safeFileName('evil\u202egnp.exe')).toBe('evil_gnp.exe');
    expect(safeFileName(' ... ')).toBe('file');
    const long = safeFileName(`${'x'.repeat(200)}.jpeg`);
    expect([...long]).toHaveLength(80);
    expect(long.endsWith('.jpeg')).toBe(true);
  });

  it('gives an ASCII fallback and the UTF-8 name in Content-Disposition', () => {
    expect(contentDisposition('inline', 'Übung 1.png')).toBe(
      `inline; filename="_bung 1.png"; filename*=UTF-8''%C3%9Cbung%201.png`,
    );
  });
});

describe('serving links', () => {
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;
  let links: PublicLinks;

  beforeAll(async () => {
    const app = express();
    // Through a getter: each test has its own store and links.
    app.use((req, res, next) =>
      publicLinksRouter(links, pino({ level: 'silent' }))(req, res, next),
    );
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    links = makeLinks(base);
    clock = Date.now(); // the router's cache times use the real clock
  });

  const expectInert = (res: Response) => {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
  };

  it('serves an image inline with its type and name', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    files.set(MXC, { data: png, contentType: 'image/png' });
    const res = await fetch(await links.link({ mxc: MXC, name: 'cat.png' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(
      `inline; filename="cat.png"; filename*=UTF-8''cat.png`,
    );
    expectInert(res);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
  });

  it('sends HTML and SVG only as downloads', async () => {
    for (const [id, type] of [
      ['Html1', 'text/html; charset=utf-8'],
      ['Svg1', 'image/svg+xml'],
    ] as const) {
      const mxc = `mxc://example.org/${id}`;
      files.set(mxc, { data: Buffer.from('<script>alert(1)</script>'), contentType: type });
      const res = await fetch(await links.link({ mxc, name: 'page' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      expectInert(res);
    }
  });

  it('serves a kept text as UTF-8 plain text', async () => {
    const text = 'line one\nline two: <b>not html</b> ✓';
    const res = await fetch(await links.link({ text }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectInert(res);
    expect(await res.text()).toBe(text);
  });

  it('answers 404 to a changed link and 410 to an expired one, saying nothing more', async () => {
    files.set(MXC, { data: new Uint8Array([1]), contentType: 'image/png' });
    const link = await links.link({ mxc: MXC, name: 'cat.png' });
    const renamed = await fetch(link.replace(/cat\.png$/, 'cat.html'));
    expect(renamed.status).toBe(404);
    expect(await renamed.text()).toBe('No such link.\n');
    expectInert(renamed);
    const textLink = await links.link({ text: 'secret plans' });
    const tampered = await fetch(textLink.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(tampered.status).toBe(404);
    clock += 3 * HOUR;
    const expired = await fetch(textLink);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toBe('This link has expired.\n');
    expect((await fetch(link)).status).toBe(410);
  });

  it('answers 404 when the homeserver no longer has the file', async () => {
    const res = await fetch(await links.link({ mxc: 'mxc://example.org/Gone', name: 'x.png' }));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('This file is no longer available.\n');
  });
});
