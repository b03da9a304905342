/** The homeserver's side of the wire: sending transactions to the bridge, and waiting for things. */
import { Agent, request } from 'node:http';
import type { ClientEvent } from '../../src/matrix/events.js';
import type { FakeHomeserver } from '../../test/support/fake-homeserver.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** PUT /_matrix/app/v1/transactions/{txnId} with a ready body, on keep-alive connections. */
export class TransactionPusher {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    private readonly hsToken: string,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  put(txnId: string, body: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'PUT',
          path: `/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.hsToken}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Calls `send(from, to)` with the items [from, to) of `count` as they fall due at `perSecond`,
 * evenly spaced rather than in bursts; a late tick catches up with what fell due meanwhile.
 * Awaited, as a homeserver sends one transaction at a time.
 */
export async function pace(
  count: number,
  perSecond: number,
  send: (from: number, to: number) => unknown,
): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
    if (due > sent) {
      await send(sent, due);
      sent = due;
    } else await sleep(1);
  }
}

export async function push(hs: FakeHomeserver, events: ClientEvent[]): Promise<void> {
  const res = await hs.pushTransaction(events);
  if (res.status !== 200)
    throw new Error(`transaction ${res.txnId}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}
