import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, fileName, isSpecialAddress } from './media.js';

describe('file links from XMPP', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/up/abc/caf%C3%A9%20menu.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf; charset=binary' });
        res.end(Buffer.from('%PDF-1.4'));
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(5000));
      } else if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
        res.end();
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/up/abc/caf%C3%A9%20menu.pdf' });
        res.end();
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const open = { maxBytes: 4096, timeoutMs: 5000, allowPrivate: true };

  it('knows loopback, private, link-local and mapped addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      expect(isSpecialAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect(isSpecialAddress(a), a).toBe(false);
  });

  it('names the file by the last path segment, decoded and cleaned', () => {
    expect(fileName(new URL('https://up.example/x/caf%C3%A9%20menu.pdf'))).toBe('café menu.pdf');
    expect(fileName(new URL('https://up.example/'))).toBe('file');
    expect(fileName(new URL('https://up.example/a/%2e%2e%2fetc%2fpasswd'))).toBe('..etcpasswd');
  });

  it('downloads with the mimetype, following a redirect', async () => {
    const file = await download(`${base}/moved`, open);
    expect(file).toMatchObject({ contentType: 'application/pdf', name: 'café menu.pdf' });
    expect(Buffer.from(file.data).toString()).toBe('%PDF-1.4');
  });

  it('refuses loopback and private addresses unless allowed', async () => {
    await expect(download(`${base}/moved`, { ...open, allowPrivate: false })).rejects.toThrow(
      /private network/,
    );
    await expect(
      download(`http://localhost:${new URL(base).port}/moved`, { ...open, allowPrivate: false }),
    ).rejects.toThrow(/private network/);
  });

  it('refuses what is too large (announced or streamed), endless redirects, other schemes', async () => {
    await expect(download(`${base}/big`, open)).rejects.toThrow(/larger than 4096/);
    await expect(download(`${base}/chunked`, open)).rejects.toThrow(/larger than 4096/);
    await expect(download(`${base}/loop`, open)).rejects.toThrow(/too many redirects/);
    await expect(download('file:///etc/passwd', open)).rejects.toThrow(/not fetched/);
    await expect(download(`${base}/nothing`, open)).rejects.toThrow(/answered 404/);
  });
});
