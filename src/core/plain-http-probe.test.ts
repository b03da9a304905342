import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { speaksPlainHttp } from './plain-http-probe.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});
async function listening(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('speaksPlainHttp', () => {
  it('an https:// URL on a plain HTTP port: yes', async () => {
    const port = await listening(createHttpServer((_req, res) => res.end('{}')));
    expect(await speaksPlainHttp(`https://127.0.0.1:${port}`, 2_000)).toBe(true);
  });

  it('a port that accepts and never answers (a hung server, not HTTP): no', async () => {
    const sockets: import('node:net').Socket[] = [];
    const port = await listening(createTcpServer((s) => sockets.push(s)));
    expect(await speaksPlainHttp(`https://127.0.0.1:${port}`, 200)).toBe(false);
    for (const s of sockets) s.destroy();
  });

  it('nothing listening: no (the homeserver check reports the refusal itself)', async () => {
    const port = await listening(createTcpServer());
    servers.pop()?.close();
    expect(await speaksPlainHttp(`https://127.0.0.1:${port}`, 2_000)).toBe(false);
  });

  it('an http:// URL is not asked about', async () => {
    const port = await listening(createHttpServer((_req, res) => res.end('{}')));
    expect(await speaksPlainHttp(`http://127.0.0.1:${port}`, 2_000)).toBe(false);
  });
});
