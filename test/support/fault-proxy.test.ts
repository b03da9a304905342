import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

interface Hit {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

// A tiny target: echoes what it got, answers /stream in two chunks with a pause the test controls,
// and records every request that reached it.
async function startTarget() {
  const hits: Hit[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        void released.then(() => res.end('second'));
        return;
      }
      if (req.url?.startsWith('/raw')) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'x-sha256': sha256(body),
        });
        res.end(body);
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json',
        'x-target': 'yes',
      });
      res.end(
        JSON.stringify({
          method: req.method,
          path: req.url,
          auth: req.headers.authorization ?? null,
          body: body.toString('utf8'),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sha256(data: Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** fetch's low-level error code (ECONNREFUSED, UND_ERR_SOCKET...) */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as Error).name;
  }
  throw new Error('request succeeded, expected a failure');
}

let target: Awaited<ReturnType<typeof startTarget>>;
let proxy: FaultProxy;

beforeEach(async () => {
  target = await startTarget();
  proxy = await startFaultProxy({ target: target.url });
});

afterEach(async () => {
  target.release();
  await proxy.close();
  await target.close();
});

describe('fault proxy: no fault', () => {
  it('forwards method, path, query, headers and body unchanged, and records the request', async () => {
    const res = await fetch(`${proxy.url}/_matrix/client/v3/rooms/!a:x/send?ts=5`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: '{"msgtype":"m.text"}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-target')).toBe('yes');
    expect(await res.json()).toEqual({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/!a:x/send?ts=5',
      auth: 'Bearer tok',
      body: '{"msgtype":"m.text"}',
    });
    expect(target.hits[0]?.headers['content-type']).toBe('application/json');
    expect(proxy.requests()).toMatchObject([
      { method: 'POST', path: '/_matrix/client/v3/rooms/!a:x/send?ts=5', status: 201 },
    ]);
    expect(proxy.requests()[0]?.fault).toBeUndefined();
  });

  it('passes large bodies through both ways byte for byte', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const res = await fetch(`${proxy.url}/raw`, { method: 'PUT', body: data });
    const back = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get('x-sha256')).toBe(sha256(data));
    expect(sha256(back)).toBe(sha256(data));
  });

  it('streams the answer (the first chunk arrives before the target has finished)', async () => {
    const res = await fetch(`${proxy.url}/stream`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('first;');
    target.release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += Buffer.from(r.value).toString();
    }
    expect(rest).toBe('second');
  });

  it('answers 502 when the target is down', async () => {
    await target.close();
    const res = await fetch(`${proxy.url}/x`);
    expect(res.status).toBe(502);
    expect((await res.json()) as object).toMatchObject({ errcode: 'M_UNKNOWN' });
  });
});

describe('fault proxy: faults', () => {
  it('429 with retry_after_ms for the next N requests, then passes', async () => {
    await proxy.setFault({ kind: 'rateLimit', retryAfterMs: 1234, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${proxy.url}/a`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.json()).toEqual({
        errcode: 'M_LIMIT_EXCEEDED',
        error: 'Too Many Requests',
        retry_after_ms: 1234,
      });
    }
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
    expect(target.hits).toHaveLength(1);
    expect(proxy.requests().map((r) => [r.fault, r.status])).toEqual([
      ['rateLimit', 429],
      ['rateLimit', 429],
      [undefined, 200],
    ]);
  });

  it('429 with a Retry-After header (and no retry_after_ms)', async () => {
    await proxy.setFault({ kind: 'rateLimit', retryAfterHeader: 3 });
    const res = await fetch(`${proxy.url}/a`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests' });
  });

  it('a status only on paths matching the regex and only for the given method', async () => {
    await proxy.setFault({ kind: 'status', status: 502, path: /\/send\//, method: 'put' });
    expect(
      (await fetch(`${proxy.url}/rooms/r/send/m.room.message/1`, { method: 'PUT' })).status,
    ).toBe(502);
    expect((await fetch(`${proxy.url}/rooms/r/send/m.room.message/2`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/rooms/r/join`, { method: 'PUT' })).status).toBe(200);
    const res = await fetch(`${proxy.url}/rooms/r/send/m.room.message/3`, {
      method: 'PUT',
      body: 'x',
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      errcode: 'M_UNKNOWN',
      error: 'Injected 502 by the fault proxy',
    });
    expect(target.hits.map((h) => h.path)).toEqual([
      '/rooms/r/send/m.room.message/2',
      '/rooms/r/join',
    ]);
  });

  it('a custom status body and headers', async () => {
    await proxy.setFault({
      kind: 'status',
      status: 504,
      body: '<html>gateway</html>',
      headers: { 'x-y': 'z' },
    });
    const res = await fetch(`${proxy.url}/a`);
    expect(res.status).toBe(504);
    expect(res.headers.get('x-y')).toBe('z');
    expect(await res.text()).toBe('<html>gateway</html>');
  });

  it('an all-503 outage until cleared', async () => {
    await proxy.setFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) expect((await fetch(`${proxy.url}/a`)).status).toBe(503);
    await proxy.clear();
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
  });

  it('added latency', async () => {
    await proxy.setFault({ kind: 'latency', ms: 300, times: 1 });
    let t0 = Date.now();
    expect((await fetch(`${proxy.url}/slow`, { method: 'POST', body: 'b' })).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(target.hits[0]?.body.toString()).toBe('b');
    t0 = Date.now();
    await fetch(`${proxy.url}/fast`);
    expect(Date.now() - t0).toBeLessThan(250);
  });

  it('refused: the listener closes (open keep-alive connections too), then clear() reopens the same URL', async () => {
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200); // leaves a keep-alive connection
    await proxy.setFault({ kind: 'refused' });
    expect(await failure(fetch(`${proxy.url}/a`))).toBe('ECONNREFUSED');
    expect(await failure(fetch(`${proxy.url}/a`))).toBe('ECONNREFUSED');
    await proxy.clear();
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
    expect(target.hits).toHaveLength(2);
  });

  it('setFault replaces a refusal: the listener opens again', async () => {
    await proxy.setFault({ kind: 'refused' });
    await proxy.setFault({ kind: 'status', status: 500, times: 1 });
    expect((await fetch(`${proxy.url}/a`)).status).toBe(500);
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
  });

  it('reset: the connection is destroyed without an answer and the target never sees the request', async () => {
    await proxy.setFault({ kind: 'reset', times: 1 });
    const code = await failure(fetch(`${proxy.url}/a`, { method: 'POST', body: 'x' }));
    expect(['UND_ERR_SOCKET', 'ECONNRESET']).toContain(code);
    expect(target.hits).toHaveLength(0);
    expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
    const [first] = proxy.requests();
    expect(first?.fault).toBe('reset');
    expect(first?.status).toBeUndefined();
  });

  it('drop: the target handles the request, the client gets no answer', async () => {
    await proxy.setFault({ kind: 'drop', path: /^\/send/ });
    const code = await failure(fetch(`${proxy.url}/send/1`, { method: 'PUT', body: 'hello' }));
    expect(['UND_ERR_SOCKET', 'ECONNRESET']).toContain(code);
    expect(target.hits.map((h) => [h.path, h.body.toString()])).toEqual([['/send/1', 'hello']]);
    expect((await fetch(`${proxy.url}/other`)).status).toBe(200);
  });

  it('hang: no answer until the client gives up; close() still completes', async () => {
    await proxy.setFault({ kind: 'hang' });
    const code = await failure(fetch(`${proxy.url}/a`, { signal: AbortSignal.timeout(200) }));
    expect(code).toBe('TimeoutError');
    expect(target.hits).toHaveLength(0);
    await proxy.setFault({ kind: 'hang' });
    const pending = fetch(`${proxy.url}/b`).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await proxy.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('several faults: the first match wins, and an exhausted one gives way to the next', async () => {
    await proxy.setFault({ kind: 'status', status: 500, times: 1 });
    await proxy.addFault({ kind: 'rateLimit', retryAfterMs: 10, times: 1 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${proxy.url}/a`)).status);
    expect(statuses).toEqual([500, 429, 200]);
    proxy.resetRequests();
    expect(proxy.requests()).toEqual([]);
  });

  it('rejects times <= 0', async () => {
    await expect(proxy.setFault({ kind: 'status', status: 500, times: 0 })).rejects.toThrow(
      /times/,
    );
  });
});
