import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionFastPath } from '../../src/matrix/transaction-fast-path.js';
import { TransactionIntake } from '../../src/matrix/transaction-intake.js';
import { silentLog } from './helpers.js';

// Which requests the fast path takes, and which it leaves to Express (here a stand-in that
// answers 418, so that the test sees who answered).
const TOKEN = 'hs-token';
const received: string[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  const intake = new TransactionIntake(async (txnId) => void received.push(txnId), silentLog());
  const fast = transactionFastPath({ hsToken: TOKEN, intake, maxBodyBytes: 1024 });
  server = createServer((req, res) => {
    if (!fast(req, res)) res.writeHead(418).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function put(
  path: string,
  opts: {
    body?: string;
    headers?: Record<string, string>;
    chunked?: boolean;
    method?: string;
  } = {},
): Promise<{ status: number; body: string }> {
  const body = opts.body ?? '{"events":[]}';
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...opts.headers };
  if (opts.chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: opts.method ?? 'PUT', path, headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.end(body);
  });
}

describe('the transaction fast path', () => {
  it('takes a plain transaction on the v1 and the legacy path, decoding its id', async () => {
    expect(await put('/_matrix/app/v1/transactions/a%2Fb')).toEqual({ status: 200, body: '{}' });
    expect((await put('/transactions/7')).status).toBe(200);
    expect(received).toEqual(['a/b', '7']);
  });

  it('answers the intake’s errors itself', async () => {
    const res = await put('/_matrix/app/v1/transactions/8', { body: '{"events": [' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ errcode: 'M_NOT_JSON' });
  });

  it('leaves every other form to Express', async () => {
    const v1 = '/_matrix/app/v1/transactions/9';
    const others = [
      put(`${v1}?access_token=${TOKEN}`),
      put(v1, { headers: { authorization: 'Bearer wrong' } }),
      put(v1, { headers: { authorization: '' } }),
      put(v1, { headers: { 'content-encoding': 'gzip' } }),
      put(v1, { chunked: true }),
      put(v1, { body: 'x'.repeat(2048) }),
      put(v1, { body: '' }),
      put('/_matrix/app/v1/transactions/%E0%A4%A', {}),
      put('/_matrix/app/v1/transactions/9/more'),
      put('/_matrix/app/v1/users/9'),
      put(v1, { method: 'POST' }),
    ];
    for (const [i, res] of (await Promise.all(others)).entries())
      expect(res.status, `${i}`).toBe(418);
    expect(received).not.toContain('9');
  });
});
