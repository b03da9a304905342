/**
 * A bare IRC client over a plain socket for the benchmark's IRC side: it registers, joins, says
 * lines and hears PRIVMSGs, and costs next to nothing (irc-framework's parsing would load the
 * benchmark's process, which shares the machine with the bridge).
 */
import { connect, type Socket } from 'node:net';

export interface HeardLine {
  at: number;
  nick: string;
  target: string;
  text: string;
}

export class IrcPeer {
  private socket?: Socket;
  private buffered = '';
  private readonly waiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
  /** Called for every PRIVMSG heard, with the time it arrived. */
  onPrivmsg?: (heard: HeardLine) => void;
  /** Called for every line heard (but PING). */
  onLine?: (line: string) => void;

  constructor(
    readonly nick: string,
    private readonly port: number,
  ) {}

  async connect(): Promise<void> {
    const socket = (this.socket = connect(this.port, '127.0.0.1'));
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const welcomed = this.waitFor((l) => / 001 /.test(l));
    this.write(`NICK ${this.nick}\r\nUSER ${this.nick} 0 * :bench peer\r\n`);
    await welcomed;
  }

  async join(channel: string): Promise<void> {
    const joined = this.waitFor((l) => l.includes(' 366 ') && l.includes(channel));
    this.write(`JOIN ${channel}\r\n`);
    await joined;
  }

  /** Writes raw lines (each already ending in CRLF). */
  write(lines: string): void {
    this.socket?.write(lines);
  }

  close(): void {
    this.socket?.end('QUIT :done\r\n');
    this.socket?.destroy();
  }

  private waitFor(match: (line: string) => boolean): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  private onData(chunk: string): void {
    const lines = (this.buffered + chunk).split('\r\n');
    this.buffered = lines.pop() ?? '';
    const now = performance.now();
    for (const line of lines) {
      if (line.startsWith('PING ')) {
        this.write(`PONG ${line.slice(5)}\r\n`);
        continue;
      }
      this.onLine?.(line);
      const m = /^(?:@\S+ )?:([^!\s]+)\S* PRIVMSG (\S+) :(.*)$/.exec(line);
      if (m) this.onPrivmsg?.({ at: now, nick: m[1]!, target: m[2]!, text: m[3]! });
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i]!.match(line)) this.waiters.splice(i, 1)[0]!.resolve();
      }
    }
  }
}
