/**
 * irc-framework's TCP/TLS transport with a CA option: irc-framework 4.14 passes no `ca` to
 * `tls.connect`, so a server whose certificate is signed by a private CA (or is self-signed)
 * could only be trusted process-wide. This subclass makes the TLS connection itself (direct
 * connections only; SOCKS and plaintext are left to irc-framework) with `ca` from the options
 * and `rejectUnauthorized` true unless the options say `false`.
 * With `keepLine` in the options, a line from the server that it refuses never reaches
 * irc-framework (a puppet's connection: the chatter of its channels, which the bot hears; see
 * pool/forward.ts, which the pool applies the same way).
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import tls from 'node:tls';

interface TransportOptions {
  host: string;
  port?: number;
  tls?: boolean;
  ssl?: boolean;
  socks?: unknown;
  rejectUnauthorized?: boolean;
  /** The local address to connect from. */
  outgoing_addr?: string;
  /** PEM text of the CA certificates to trust (instead of Node's built-in list). */
  ca?: string;
  encoding?: string;
  client_certificate?: { private_key?: string; certificate?: string };
  /** Whether a line from the server is handed on (parsed, and its events emitted); all when absent. */
  keepLine?: (line: string) => boolean;
}

/** The part of irc-framework's (untyped CommonJS) net transport that the subclass uses. */
interface NetTransport {
  options: TransportOptions;
  socket: tls.TLSSocket | null;
  state: number;
  requested_disconnect: boolean;
  incoming_buffer: Buffer;
  connect(): void;
  debugOut(out: string): void;
  disposeSocket(): void;
  setEncoding(encoding: string): boolean;
  emit(event: string, ...args: unknown[]): boolean;
  _onSocketCreate(options: TransportOptions, socket: tls.TLSSocket): void;
}

const require = createRequire(import.meta.url);
const NetTransportBase = require('irc-framework/src/transports/net.js') as new (
  options: TransportOptions,
) => NetTransport;

const SOCK_CONNECTING = 1;

export class CaTlsTransport extends NetTransportBase {
  override emit(event: string, ...args: unknown[]): boolean {
    const keep = this.options.keepLine;
    if (keep && event === 'line' && !keep(args[0] as string)) return false;
    return super.emit(event, ...args);
  }

  override connect(): void {
    const options = this.options;
    if (!(options.tls ?? options.ssl) || options.socks) {
      super.connect();
      return;
    }
    this.debugOut('connect() (TLS with CA)');
    this.disposeSocket();
    this.requested_disconnect = false;
    this.incoming_buffer = Buffer.from('');
    if (!options.encoding || !this.setEncoding(options.encoding)) this.setEncoding('utf8');
    this.state = SOCK_CONNECTING;
    const socket = tls.connect({
      // SNI only for a host name, as irc-framework does.
      servername: isIP(options.host) ? undefined : options.host,
      host: options.host,
      port: options.port ?? 6697,
      rejectUnauthorized: options.rejectUnauthorized !== false,
      ca: options.ca,
      key: options.client_certificate?.private_key,
      cert: options.client_certificate?.certificate,
      ...(options.outgoing_addr
        ? { localAddress: options.outgoing_addr, family: isIP(options.outgoing_addr) }
        : {}),
    });
    this.socket = socket;
    this._onSocketCreate(options, socket);
  }
}
