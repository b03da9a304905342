/**
 * Transactions taken straight off node:http, before Express. A homeserver pushes back every event
 * the bridge's ghosts send, and in a busy room each comes back in a transaction of its own: there
 * Express's routing, body parser and response helpers cost more than the rest of taking the
 * transaction in (bench/README.md, issue 21). Only the plain form is taken here (PUT on a v1 or
 * legacy path, a good Bearer token, no query, a Content-Length within the limit, no content
 * encoding); anything else goes on to Express's route, which answers it in full.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hsTokenVerdict, tokenDigest } from './appservice-auth.js';
import type { Answer, TransactionIntake } from './transaction-intake.js';

/** Takes the request and answers it (true), or leaves it untouched for Express (false). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const TRANSACTION_PATH = /^\/(?:_matrix\/app\/v1\/)?transactions\/([^/?#]+)$/;

export function transactionFastPath(opts: {
  hsToken: string;
  intake: TransactionIntake;
  maxBodyBytes: number;
}): FastPath {
  const expected = tokenDigest(opts.hsToken);
  return (req, res) => {
    if (req.method !== 'PUT' || req.headers['content-encoding'] !== undefined) return false;
    const length = Number(req.headers['content-length'] ?? NaN);
    if (!(length > 0 && length <= opts.maxBodyBytes)) return false;
    const path = TRANSACTION_PATH.exec(req.url ?? '');
    if (!path) return false;
    const txnId = decodeSegment(path[1]!);
    if (txnId === undefined) return false;
    if (hsTokenVerdict(req.headers.authorization, undefined, expected) !== 'ok') return false;
    readBody(req, (body) => {
      opts.intake.receive(txnId, body, performance.now()).then(
        (answer) => send(res, answer),
        () => res.destroy(), // receive never rejects; a failure to answer ends the exchange
      );
    });
    return true;
  };
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** node:http holds the body to its Content-Length; a request cut short is never answered. */
function readBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  req.on('error', () => req.destroy());
}

function send(res: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
