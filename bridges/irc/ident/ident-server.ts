/**
 * An ident server (RFC 1413) for the bridge's IRC connections: an IRC server that asks
 * `<our port>, <its port>` about one of our connections to it gets that connection's username
 * (`<our port> , <its port> : USERID : UNIX : <username>`), so that a network can ban one Matrix
 * user (`*!alice3f2a@…`) and not the whole bridge. Only the host a connection goes to learns its
 * username; anything else is `ERROR : NO-USER` (or `INVALID-PORT` for a malformed query).
 */
import net from 'node:net';
import type { Logger } from 'pino';

/** A connection of ours as the socket sees it. */
export interface OurSocket {
  localPort?: number;
  remotePort?: number;
  remoteAddress?: string;
}

/** The username of our connection from `localPort` to `remoteAddress`:`remotePort`, if we have one. */
export type IdentLookup = (
  localPort: number,
  remotePort: number,
  remoteAddress: string,
) => string | undefined;

/** How long a querier has to send its query. */
const QUERY_TIMEOUT_MS = 10_000;
/** RFC 1413 queries are short: more than this without a line ends the connection. */
const MAX_QUERY_BYTES = 1_000;

/** `::ffff:127.0.0.1` and `127.0.0.1` are one host. */
export const sameHost = (a: string | undefined, b: string | undefined) =>
  !!a &&
  !!b &&
  a.replace(/^::ffff:/i, '').toLowerCase() === b.replace(/^::ffff:/i, '').toLowerCase();

/** The answer to one query line (without CRLF). */
export function answerIdent(line: string, from: string, lookup: IdentLookup): string {
  const m = /^\s*(\d{1,5})\s*,\s*(\d{1,5})\s*$/.exec(line);
  if (!m) return `${line.replace(/[^\d, ]/g, '').slice(0, 20)} : ERROR : INVALID-PORT`;
  const [ours, theirs] = [Number(m[1]), Number(m[2])];
  const ports = `${ours} , ${theirs}`;
  if (ours < 1 || ours > 65535 || theirs < 1 || theirs > 65535)
    return `${ports} : ERROR : INVALID-PORT`;
  const username = lookup(ours, theirs, from);
  return username ? `${ports} : USERID : UNIX : ${username}` : `${ports} : ERROR : NO-USER`;
}

/** Finds the socket among ours: same ports, and the querier is the host it goes to. */
export function findSocket<T>(
  candidates: Iterable<[T, OurSocket | undefined]>,
  localPort: number,
  remotePort: number,
  remoteAddress: string,
): T | undefined {
  for (const [owner, s] of candidates)
    if (
      s &&
      s.localPort === localPort &&
      s.remotePort === remotePort &&
      sameHost(s.remoteAddress, remoteAddress)
    )
      return owner;
  return undefined;
}

export class IdentServer {
  private server?: net.Server;

  constructor(
    private readonly opts: {
      port: number;
      address: string;
      lookup: IdentLookup;
      log: Logger;
      /** Each answer given, by kind (metrics). */
      onAnswer?(answer: 'userid' | 'no-user' | 'invalid-port'): void;
    },
  ) {}

  /** Listens; rejects when the port cannot be had (113 needs privilege: see the README). */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log.warn({ err }, 'ident server error'));
    this.server = server;
    this.opts.log.info({ port: this.port, address: this.opts.address }, 'ident server listening');
  }

  /** The port it listens on (the configured one, or the one given for port 0). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.opts.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    let buffer = '';
    socket.setEncoding('latin1');
    socket.setTimeout(QUERY_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.search(/\r?\n/);
      if (end < 0) {
        if (buffer.length > MAX_QUERY_BYTES) socket.destroy();
        return;
      }
      const line = buffer.slice(0, end);
      const answer = answerIdent(line, socket.remoteAddress ?? '', this.opts.lookup);
      this.opts.log.debug(
        { query: line.slice(0, 40), from: socket.remoteAddress, answer },
        'ident query',
      );
      this.opts.onAnswer?.(
        answer.includes(': USERID :')
          ? 'userid'
          : answer.endsWith('NO-USER')
            ? 'no-user'
            : 'invalid-port',
      );
      socket.end(`${answer}\r\n`);
      buffer = '';
      socket.removeAllListeners('data');
    });
  }
}
