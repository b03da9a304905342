/**
 * Does an https:// homeserver URL point at a port that speaks plain HTTP? Synapse (Twisted) waits
 * for the end of a line that a TLS ClientHello never sends, so each request would time out, and
 * the start-up retries would take half a minute to guess. One TLS handshake, and when it fails
 * the way a plain port makes it fail, one plain request to the same port, tell it in seconds.
 */
import { isIP } from 'node:net';
import { connect } from 'node:tls';

/** How a handshake with a plain HTTP port ends: no answer, or an HTTP answer read as TLS. */
const PLAIN_PORT_FAILURES = new Set(['no handshake', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

export async function speaksPlainHttp(homeserverUrl: string, timeoutMs: number): Promise<boolean> {
  const url = new URL(homeserverUrl);
  if (url.protocol !== 'https:') return false;
  const port = Number(url.port || 443);
  const host = url.hostname.replace(/^\[|\]$/g, ''); // an IPv6 literal without its brackets
  if (!PLAIN_PORT_FAILURES.has(await handshake(host, port, timeoutMs))) return false;
  const plain = new URL(url.href);
  plain.protocol = 'http:';
  plain.port = String(port);
  try {
    await fetch(plain, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return true; // any HTTP answer at all
  } catch {
    return false;
  }
}

/**
 * 'ok'; 'no handshake' (connected, no TLS answer in time); 'unreachable' (not even connected in
 * time); or the error's code. A certificate Node refuses is for the caller's own check.
 */
function handshake(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const servername = isIP(host) ? undefined : host; // SNI never carries an address (RFC 6066)
    const socket = connect({ host, port, servername, rejectUnauthorized: false });
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    let connected = false;
    socket.once('connect', () => (connected = true));
    const timer = setTimeout(() => done(connected ? 'no handshake' : 'unreachable'), timeoutMs);
    socket.once('secureConnect', () => done('ok'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
