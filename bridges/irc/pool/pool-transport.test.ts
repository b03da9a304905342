// IrcConnection through PoolTransport with a fake pool link (no Redis): the pool's registered
// connection is taken over without a registration on IRC (NICK/USER/CAP answered locally), its
// channels count as joined, lines held while no bridge ran come after the registration and are
// acknowledged only then, a `closed` of another generation or attempt is ignored, and detaching
// (the bridge stops) sends nothing — no QUIT.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { networkSchema } from '../config.js';
import { IrcConnection } from '../connection/connection.js';
import type { PoolLink, PoolEventSink } from './pool-link.js';
import type { PoolCommand, PoolEvent, ReadyEvent } from './protocol.js';

class FakeLink {
  sink?: PoolEventSink;
  sent: PoolCommand[] = [];
  acked: string[] = [];
  waiting: { event: PoolEvent; id: string }[] = [];
  claim(_conn: string, sink: PoolEventSink) {
    this.sink = sink;
    for (const { event, id } of this.waiting.splice(0)) sink.deliver(event, id);
  }
  release(_conn: string, sink: PoolEventSink) {
    if (this.sink === sink) this.sink = undefined;
  }
  giveBack(_conn: string, events: { event: PoolEvent; id: string }[]) {
    this.waiting.unshift(...events);
  }
  send(command: PoolCommand) {
    this.sent.push(command);
  }
  ack(id: string) {
    this.acked.push(id);
  }
  lines() {
    return this.sent.flatMap((c) => (c.type === 'send' ? [c.data.line] : []));
  }
}

const ready = (over: Partial<ReadyEvent> = {}): ReadyEvent => ({
  nick: 'alice[m]',
  server: 'irc.test',
  available: 'server-time message-tags sasl=PLAIN labeled-response',
  enabled: ['server-time', 'message-tags'],
  welcome: [
    ':irc.test 001 alice[m] :Welcome',
    ':irc.test 005 alice[m] PREFIX=(ov)@+ :are supported',
  ],
  channels: ['#one', '#two'],
  attached: true,
  gen: 'g1',
  ...over,
});

const tick = () => new Promise((r) => setTimeout(r, 20));
const conns: IrcConnection[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.stop();
});

function connection(link: FakeLink, listener = false, localAddress?: string) {
  const conn = new IrcConnection({
    ...(localAddress ? { localAddress } : {}),
    network: networkSchema.parse({ host: '127.0.0.1', port: 6667, tls: false }),
    nick: 'alice[m]',
    username: 'alice',
    gecos: '@alice:example.org',
    log: pino({ level: 'silent' }),
    listener,
    pool: {
      link: link as unknown as PoolLink,
      conn: 'test/puppet/@alice:example.org',
      network: 'test',
    },
  });
  conns.push(conn);
  return conn;
}

describe('PoolTransport', () => {
  it('takes over a registered connection: no registration reaches IRC, its channels are joined', async () => {
    const link = new FakeLink();
    const conn = connection(link);
    conn.connect();
    await tick();
    expect(link.sent[0]).toMatchObject({
      type: 'open',
      data: { nick: 'alice[m]', username: 'alice' },
    });
    expect(link.sent[0]!.type === 'open' && link.sent[0]!.data.account).toBeUndefined();
    link.sink!.deliver({ type: 'ready', conn: 'c', data: ready() }, '1-0');
    await conn.ready(1_000);
    expect(conn.isRegistered).toBe(true);
    expect(conn.nick).toBe('alice[m]');
    expect(conn.inChannelNow('#one') && conn.inChannelNow('#two')).toBe(true);
    expect(conn.client.network.cap.enabled).toEqual(['server-time', 'message-tags']);
    await tick();
    // Nothing of the local registration went to IRC (NICK, USER, CAP, PING are answered here).
    expect(link.lines().filter((l) => /^(NICK|USER|CAP|PING|AUTHENTICATE)/.test(l))).toEqual([]);
    expect(link.acked).toContain('1-0');
    await conn.join('#one'); // already in: nothing sent
    await conn.writeLines(['PRIVMSG #one :hi']);
    await tick();
    expect(link.lines()).toEqual(['PRIVMSG #one :hi']);
  });

  it('hands on lines held while no bridge ran after the registration, and acknowledges them then', async () => {
    const link = new FakeLink();
    link.waiting.push(
      {
        event: { type: 'line', conn: 'c', data: { line: ':bob!b@h PRIVMSG alice[m] :one' } },
        id: '1-1',
      },
      { event: { type: 'closed', conn: 'c', data: { gen: 'old', nonces: [] } }, id: '1-2' },
      {
        event: { type: 'line', conn: 'c', data: { line: ':bob!b@h PRIVMSG alice[m] :two' } },
        id: '1-3',
      },
    );
    const conn = connection(link);
    const heard: string[] = [];
    conn.client.on('privmsg', (e: { message: string }) => heard.push(e.message));
    conn.connect();
    await tick();
    expect(heard).toEqual([]);
    expect(link.acked).toEqual(['1-2']); // a stale close is not this attempt's
    link.sink!.deliver({ type: 'ready', conn: 'c', data: ready() }, '1-4');
    await conn.ready(1_000);
    expect(heard).toEqual(['one', 'two']);
    expect(link.acked).toEqual(['1-2', '1-4', '1-1', '1-3']);
  });

  it('closes on its own generation closing (and reconnects), not on another one', async () => {
    const link = new FakeLink();
    const conn = connection(link);
    conn.connect();
    await tick();
    link.sink!.deliver({ type: 'ready', conn: 'c', data: ready() }, '1-0');
    await conn.ready(1_000);
    link.sink!.deliver({ type: 'closed', conn: 'c', data: { gen: 'other' } }, '1-1');
    await tick();
    expect(conn.isRegistered).toBe(true);
    link.sink!.deliver({ type: 'closed', conn: 'c', data: { gen: 'g1', error: 'EOF' } }, '1-2');
    await tick();
    expect(conn.isRegistered).toBe(false);
  });

  it('a failed connect (closed naming this attempt) closes the local client', async () => {
    const link = new FakeLink();
    const conn = connection(link);
    let dropped = false;
    conn.client.on('close', () => (dropped = true));
    conn.connect();
    await tick();
    const open = link.sent[0]!;
    const nonce = open.type === 'open' ? open.data.nonce : undefined;
    link.sink!.deliver({ type: 'closed', conn: 'c', data: { nonces: ['x'] } }, '1-0');
    await tick();
    expect(dropped).toBe(false);
    link.sink!.deliver({ type: 'closed', conn: 'c', data: { nonces: [nonce!] } }, '1-1');
    await tick();
    expect(dropped).toBe(true);
  });

  it('the listener asks TOPIC and NAMES of its channels again; a detach sends no QUIT', async () => {
    const link = new FakeLink();
    const conn = connection(link, true);
    conn.connect();
    await tick();
    link.sink!.deliver({ type: 'ready', conn: 'c', data: ready() }, '1-0');
    await conn.ready(1_000);
    await tick();
    expect(link.lines()).toEqual(['TOPIC #one', 'NAMES #one', 'TOPIC #two', 'NAMES #two']);
    link.sink!.detach();
    conn.stop('Switchboard is shutting down');
    await tick();
    expect(link.sent.filter((c) => c.type === 'quit')).toEqual([]);
  });

  it("the pool connects from the user's own source address", async () => {
    const link = new FakeLink();
    connection(link, false, 'fd00::1:2').connect();
    await tick();
    expect(link.sent[0]).toMatchObject({ type: 'open', data: { localAddress: 'fd00::1:2' } });
  });

  it('a QUIT (the user disconnects) is a quit command to the pool', async () => {
    const link = new FakeLink();
    const conn = connection(link);
    conn.connect();
    await tick();
    link.sink!.deliver({ type: 'ready', conn: 'c', data: ready() }, '1-0');
    await conn.ready(1_000);
    conn.stop('Idle on Matrix');
    await tick();
    expect(link.sent.filter((c) => c.type === 'quit')).toEqual([
      { type: 'quit', conn: 'test/puppet/@alice:example.org', data: { message: 'Idle on Matrix' } },
    ]);
  });
});
