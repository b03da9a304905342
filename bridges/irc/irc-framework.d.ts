/** The part of irc-framework 4.x (untyped CommonJS) that the IRC bridge uses. */
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  export interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    /** Passed to tls.connect (a CA bundle for a private CA). */
    ca?: string | Buffer;
    /** The transport class (irc-framework's net transport by default). */
    transport?: new (options: never) => unknown;
    auto_reconnect?: boolean;
    /** The local address to connect from. */
    outgoing_addr?: string;
    ping_interval?: number;
    ping_timeout?: number;
    version?: string | null;
    encoding?: string;
    /** SASL PLAIN credentials: irc-framework requests the `sasl` cap itself (never request it by hand). */
    account?: { account: string; password: string };
    /** Read by the transport, not irc-framework: the connection pool's link (pool/pool-transport.ts). */
    pool?: unknown;
  }

  export interface MessageEvent {
    nick: string;
    ident?: string;
    hostname?: string;
    target: string;
    message: string;
    tags?: Record<string, string>;
    /** server-time as milliseconds since the epoch, when the server sent it. */
    time?: number;
    from_server?: boolean;
    /** The IRCv3 BATCH the line came in (a `chathistory` replay, say). */
    batch?: { id: string; type: string; params: string[] };
  }

  /** A line from the server as irc-framework's parser gives it (tags unescaped, command upper-cased). */
  export interface IrcLine {
    tags: Record<string, string>;
    prefix?: string;
    nick?: string;
    command: string;
    params: string[];
  }

  export interface Client extends EventEmitter {
    readonly connected: boolean;
    /** The socket's side: emits `message` (IrcLine, raw line) for every line, before any handling or batching. */
    readonly connection: EventEmitter;
    user: { nick: string };
    network: { cap: { enabled: string[] }; supports(feature: string): unknown };
    requestCap(caps: string[]): void;
    connect(options: ConnectOptions): void;
    raw(line: string): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
    say(target: string, message: string): void;
    caseLower(s: string): string;
  }

  const IRC: { Client: new (options?: Record<string, unknown>) => Client };
  export default IRC;
}
