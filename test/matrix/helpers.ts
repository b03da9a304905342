/** Shared bits of the matrix tests: a logger that keeps its lines, and an express app on a port. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino, type Logger } from 'pino';
import type { FastPath } from '../../src/matrix/transaction-fast-path.js';

export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

export const silentLog = (): Logger => pino({ level: 'silent' });

/** `router` in an app on a free port; `fastPath` first, as the bridge's listener serves them. */
export async function listen(
  router: express.Router,
  fastPath?: FastPath,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(router);
  const server: Server = createServer((req, res) => {
    if (!fastPath?.(req, res)) app(req, res);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
