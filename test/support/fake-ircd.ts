// A tiny fake IRC server on 127.0.0.1 for unit tests of IRC connections: it records every line a
// client sends, keeps each client's NICK, and lets the test answer each line (`onLine`).
import net, { type AddressInfo, type Socket } from 'node:net';

/** One client connected to the fake server. */
export interface FakeIrcClient {
  /** The nick it last sent (NICK), '' before. */
  readonly nick: string;
  readonly socket: Socket;
  /** Sends it a line (CR LF added); nothing once its socket is closed. */
  send(line: string): void;
}

export interface FakeIrcd {
  port: number;
  /** Every line every client sent, in order. */
  lines: string[];
  /** Sockets open now. */
  sockets: Set<Socket>;
  /** Cuts every connection; new ones are refused until `listen()` (on the same port). */
  down(): Promise<void>;
  listen(): Promise<void>;
}

export async function fakeIrcd(
  onLine: (line: string, client: FakeIrcClient) => void,
): Promise<FakeIrcd> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  let server: net.Server | undefined;
  const self: FakeIrcd = {
    port: 0,
    lines,
    sockets,
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
    async listen() {
      const listening = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
        const client = {
          nick: '',
          socket,
          send: (line: string) => void (socket.destroyed || socket.write(`${line}\r\n`)),
        };
        let buffered = '';
        socket.on('data', (data) => {
          buffered += data.toString('utf8');
          const parts = buffered.split('\r\n');
          buffered = parts.pop()!;
          for (const line of parts) {
            lines.push(line);
            if (line.startsWith('NICK ')) client.nick = line.slice(5);
            onLine(line, client);
          }
        });
      });
      server = listening;
      await new Promise<void>((resolve) => listening.listen(self.port, '127.0.0.1', resolve));
      self.port = (listening.address() as AddressInfo).port;
    },
  };
  await self.listen();
  return self;
}
