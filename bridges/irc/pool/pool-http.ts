/** The pool process's HTTP port: GET /health (JSON; 503 while Redis is unreachable) and GET /metrics. */
import { createServer, type Server } from 'node:http';
import type { IrcPool } from './pool-server.js';
import { POOL_PROTOCOL_VERSION } from './protocol.js';

export function servePoolHttp(pool: IrcPool, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      const ok = pool.redisReady;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: ok ? 'ok' : 'redis unreachable',
          protocol: POOL_PROTOCOL_VERSION,
          connections: pool.counts(),
        }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      pool.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': pool.metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: GET /health or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
