import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError, Transport, type TransportRequest } from '../../src/matrix/transport.js';

let server: http.Server | undefined;
let transport: Transport | undefined;

/** A local server answering with `handler`; returns its base URL (with `prefix`) and its connection count. */
async function serve(handler: http.RequestListener, prefix = '') {
  const connections = { count: 0 };
  server = http.createServer(handler);
  server.on('connection', () => connections.count++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${prefix}`, connections };
}

afterEach(async () => {
  transport?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

// Both ways a reply is read: streamed (media) and buffered whole (JSON answers).
describe.each([
  ['streamed', false],
  ['buffered', true],
])('homeserver transport, %s', (_mode, buffered) => {
  /** The answer's text, whichever way it was read: a failure reading it rejects either way. */
  const textOf = async (req: TransportRequest) => (await transport!.send(req, buffered)).text();

  it('sends method, path under the base URL, headers and body; reuses its connections', async () => {
    const seen: string[] = [];
    const { url, connections } = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        res.setHeader('retry-after', '3');
        res.end('{"ok":true}');
      });
    }, '/matrix/');
    transport = new Transport(url, 5_000);
    for (let i = 0; i < 10; i++) {
      const reply = await transport.send(
        {
          method: 'PUT',
          path: `/_matrix/x/${i}?user_id=%40a`,
          headers: { 'content-type': 'application/json' },
          body: `{"n":${i}}`,
        },
        buffered,
      );
      expect(reply.ok).toBe(true);
      expect(reply.header('Retry-After')).toBe('3');
      expect(await reply.text()).toBe('{"ok":true}');
    }
    expect(seen).toEqual(
      Array.from(
        { length: 10 },
        (_, i) => `PUT /matrix/_matrix/x/${i}?user_id=%40a application/json {"n":${i}}`,
      ),
    );
    // undici's pool may open a second connection while the first is still being set up.
    expect(connections.count).toBeLessThanOrEqual(2);
  });

  it('times out a request whose answer stalls mid-body', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // and nothing more
    });
    transport = new Transport(url, 200);
    await expect(textOf({ method: 'GET', path: '/slow', headers: {} })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  it('rejects an answer cut off mid-body', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only a part');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    transport = new Transport(url, 5_000);
    await expect(textOf({ method: 'GET', path: '/cut', headers: {} })).rejects.toThrow();
  });

  it('rejects with the socket error when nothing listens', async () => {
    const { url } = await serve(() => undefined);
    server!.close();
    transport = new Transport(url, 5_000);
    await expect(textOf({ method: 'GET', path: '/', headers: {} })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('times out a TLS handshake that never completes within the deadline', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket)); // never answers the ClientHello
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      transport = new Transport(`https://127.0.0.1:${port}`, 300);
      const started = Date.now();
      await expect(textOf({ method: 'GET', path: '/', headers: {} })).rejects.toBeInstanceOf(
        TimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
