// IrcConnection against a tiny fake IRC server on 127.0.0.1 (it answers USER with 001 and records
// every line): messages written while the connection is down wait for it and go out in order after
// the reconnect, within the `queue_while_down` bounds; connects go through the network's limiter.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/connector.js';
import { networkSchema } from '../config.js';
import { ConnectLimiter } from './connect-limiter.js';
import { IrcConnection } from './connection.js';
import { fakeIrcd, type FakeIrcd } from '../../../test/support/fake-ircd.js';

interface FakeServer extends FakeIrcd {
  /** Connections that sent USER and have not been welcomed yet, at most at once. */
  maxRegistering: number;
}

const servers: FakeServer[] = [];
const connections: IrcConnection[] = [];

/** Answers USER with 001 (after `welcomeDelayMs`), counting registrations under way. */
async function fakeServer(welcomeDelayMs = 0): Promise<FakeServer> {
  let registering = 0;
  const server: FakeServer = Object.assign(
    await fakeIrcd((line, client) => {
      if (!line.startsWith('USER ')) return;
      registering++;
      server.maxRegistering = Math.max(server.maxRegistering, registering);
      setTimeout(() => {
        registering--;
        client.send(`:fake 001 ${client.nick} :Welcome`);
      }, welcomeDelayMs);
    }),
    { maxRegistering: 0 },
  );
  servers.push(server);
  return server;
}

function connection(
  server: FakeServer,
  extra: Record<string, unknown> = {},
  limiter?: ConnectLimiter,
  nick = 'alice',
): IrcConnection {
  const network = networkSchema.parse({
    host: '127.0.0.1',
    port: server.port,
    tls: false,
    flood: { lines_per_second: 0, burst: 1 },
    ...extra,
  });
  const conn = new IrcConnection({
    network,
    nick,
    username: nick,
    gecos: nick,
    log: pino({ level: 'silent' }),
    ...(limiter ? { limiter } : {}),
  });
  connections.push(conn);
  return conn;
}

const said = (server: FakeServer) => server.lines.filter((l) => l.startsWith('PRIVMSG'));
const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

afterEach(async () => {
  for (const c of connections.splice(0)) c.stop();
  for (const s of servers.splice(0)) await s.down().catch(() => undefined);
});

describe('IrcConnection while down', () => {
  it('holds what is written while the server is down and writes it after the reconnect, in order, once', async () => {
    const server = await fakeServer();
    const conn = connection(server);
    conn.connect();
    await conn.ready();
    await conn.writeLines(['PRIVMSG #a :before']);
    await until(() => said(server).length === 1); // written is not yet read by the server
    await server.down();
    await until(() => !conn.isRegistered);
    const held = [
      conn.writeLines(['PRIVMSG #a :1']),
      conn.writeLines(['PRIVMSG #a :2a', 'PRIVMSG #a :2b']),
      conn.writeLines(['PRIVMSG #a :3']),
    ];
    expect(conn.busy).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500)); // past the first reconnect attempt
    await server.listen();
    await Promise.all(held);
    await until(() => said(server).length >= 5);
    await new Promise((r) => setTimeout(r, 200)); // a doubled line would come right behind
    expect(said(server)).toEqual([
      'PRIVMSG #a :before',
      'PRIVMSG #a :1',
      'PRIVMSG #a :2a',
      'PRIVMSG #a :2b',
      'PRIVMSG #a :3',
    ]);
    expect(conn.busy).toBe(false);
  }, 15_000);

  it('past max_messages waiting, a message fails at once, retriable', async () => {
    const server = await fakeServer();
    await server.down();
    const conn = connection(server, { queue_while_down: { max_messages: 2 } });
    conn.connect();
    const first = conn.writeLines(['PRIVMSG #a :1']);
    const second = conn.writeLines(['PRIVMSG #a :2']);
    const third = conn.writeLines(['PRIVMSG #a :3']);
    await expect(third).rejects.toMatchObject({
      code: 'not-connected',
      retriable: true,
      userMessage: expect.stringContaining('2 messages are already waiting'),
    });
    conn.stop();
    await expect(first).rejects.toBeInstanceOf(BridgeError);
    await expect(second).rejects.toMatchObject({ retriable: true });
  });

  it('past max_wait_seconds from the drop a message fails (retriable), and one written later fails at once', async () => {
    const server = await fakeServer();
    await server.down();
    const conn = connection(server, { queue_while_down: { max_wait_seconds: 1 } });
    conn.connect();
    const started = Date.now();
    await expect(conn.writeLines(['PRIVMSG #a :1'])).rejects.toMatchObject({
      code: 'not-connected',
      retriable: true,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const again = Date.now();
    await expect(conn.writeLines(['PRIVMSG #a :2'])).rejects.toMatchObject({
      userMessage: expect.stringMatching(/in time \(down for 1 s\)/),
    });
    expect(Date.now() - again).toBeLessThan(100);
    expect(said(server)).toEqual([]);
  });

  it('waits for the connection longer than the old 20 s when the bound allows (default 300 s)', async () => {
    const server = await fakeServer();
    await server.down();
    const conn = connection(server);
    conn.connect();
    // Not a real 20 s wait: the bound is what ready() computes from the config.
    const pending = conn.ready().then(
      () => 'ready',
      (err: unknown) => (err as Error).message,
    );
    const quick = await Promise.race([
      pending,
      new Promise((r) => setTimeout(() => r('still waiting'), 300)),
    ]);
    expect(quick).toBe('still waiting');
    conn.stop();
    expect(await pending).toBe('the IRC connection was closed');
  });
});

describe('IrcConnection connects through the limiter', () => {
  it('with max_concurrent_connects 1, one connection registers at a time; all get there', async () => {
    const server = await fakeServer(150);
    const limiter = new ConnectLimiter(1);
    const conns = ['a', 'b', 'c', 'd'].map((n) => connection(server, {}, limiter, n));
    for (const c of conns) c.connect();
    await Promise.all(conns.map((c) => c.ready()));
    expect(server.maxRegistering).toBe(1);
    expect(limiter.active).toBe(0);
  });

  it('without a limit they all register at once', async () => {
    const server = await fakeServer(150);
    const limiter = new ConnectLimiter(0);
    const conns = ['a', 'b', 'c', 'd'].map((n) => connection(server, {}, limiter, n));
    for (const c of conns) c.connect();
    await Promise.all(conns.map((c) => c.ready()));
    expect(server.maxRegistering).toBe(4);
  });
});
