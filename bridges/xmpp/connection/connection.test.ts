import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Element } from '@xmpp/xml';
import { ComponentLink, type ComponentOptions } from './connection.js';
import { buildMessage } from './stanzas.js';

const link = (maxQueued = 2) =>
  new ComponentLink({
    host: '127.0.0.1',
    port: 1, // never started: what send() does before any connection
    domain: 'matrix.example.org',
    secret: 's3cret',
    minDelayMs: 10,
    maxDelayMs: 100,
    maxQueued,
    log: pino({ level: 'silent' }),
  });
const from = (address: string) =>
  buildMessage({ type: 'chat', from: address, to: 'bob@example.org', id: '1', body: 'x' });

describe('the component connection', () => {
  it('refuses stanzas from addresses the component does not speak for', async () => {
    const l = link();
    await expect(l.send(from('alice@example.org'))).rejects.toThrow(/does not speak for/);
    await expect(l.send(from('a@matrix.example.org.evil.org'))).rejects.toThrow(
      /does not speak for/,
    );
    await expect(l.send(from('not a jid@@'))).rejects.toThrow(/does not speak for/);
    const el = from('x@matrix.example.org');
    delete el.attrs.from;
    await expect(l.send(el)).rejects.toThrow(/does not speak for/);
    expect(l.queued).toBe(0);
  });

  it('queues in order while down, refuses past max_queued, and rejects what waits at stop', async () => {
    const l = link(2);
    const a = l.send(from('a@matrix.example.org'));
    const b = l.send(from('b@matrix.example.org'));
    await expect(l.send(from('c@matrix.example.org'))).rejects.toThrow(/too many stanzas/);
    expect(l.queued).toBe(2);
    await l.stop();
    await expect(a).rejects.toThrow(/stopped/);
    await expect(b).rejects.toThrow(/stopped/);
  });

  it('leaves out the messages dropMessage names before parsing, whatever the TCP chunks', async () => {
    // A MUC's three copies of one message (one for the reader) and a presence, written a few
    // bytes at a time.
    const copy = (to: string) =>
      `<message type='groupchat' from='r@muc.example.org/Ann' to='${to}'><body>hi &amp; bye</body></message>`;
    const after =
      copy('a@matrix.example.org/m') +
      copy('reader@matrix.example.org/m') +
      copy('b@matrix.example.org/m') +
      `<presence from='r@muc.example.org/Ann' to='a@matrix.example.org/m'/>`;
    const stanzas = await afterHandshake(
      async (socket) => {
        for (let i = 0; i < after.length; i += 7) socket.write(after.slice(i, i + 7));
      },
      2,
      (a) => a.type === 'groupchat' && a.to !== 'reader@matrix.example.org/m',
    );
    expect(stanzas.map((el) => `${el.name} ${el.attrs.to}`)).toEqual([
      'message reader@matrix.example.org/m',
      'presence a@matrix.example.org/m',
    ]);
    expect(stanzas[0]!.getChildText('body')).toBe('hi & bye');
  });

  it('logs a refused handshake with its condition, never the secret', async () => {
    const server = await standIn((socket) =>
      socket.end(
        "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
      ),
    );
    let logged = '';
    const l = linkTo(server, {
      secret: 'the-component-s3cret',
      log: pino({ level: 'trace' }, { write: (line: string) => void (logged += line) }),
    });
    try {
      l.start();
      for (let i = 0; i < 200 && !logged.includes('not-authorized'); i++)
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      await l.stop();
      server.close();
    }
    expect(logged).toContain('not-authorized');
    expect(logged).not.toContain('s3cret');
  });

  it('reads a character whose UTF-8 bytes two TCP reads split as that character', async () => {
    const text = 'é 日本 🎉';
    const bytes = Buffer.from(
      `<message type='chat' from='ann@example.org/x' to='bob@matrix.example.org'><body>${text}</body></message>`,
    );
    const cuts = [bytes.indexOf(Buffer.from('日')) + 1, bytes.indexOf(Buffer.from('🎉')) + 2];
    const stanzas = await afterHandshake(async (socket) => {
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        socket.write(bytes.subarray(from, cut)); // a read of its own: Nagle off, a pause between
        from = cut;
        await new Promise((r) => setTimeout(r, 30));
      }
    }, 1);
    expect(stanzas[0]!.getChildText('body')).toBe(text);
  });
});

/** A stand-in XMPP server's component port: it opens the stream; `onHandshake` answers the handshake. */
async function standIn(onHandshake: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    let got = '';
    socket.on('data', (d) => {
      if (socket.writableEnded) return; // closed by onHandshake: what the link says after is moot
      got += String(d);
      if (got.includes('</stream:stream>')) return void socket.end('</stream:stream>');
      if (got.includes('<stream:stream') && !got.includes('<handshake')) {
        socket.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='matrix.example.org'>",
        );
      } else if (got.includes('</handshake>')) {
        got = '';
        onHandshake(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A link to the stand-in `server` (secret `s3cret`, no logs, unless `more` says otherwise). */
const linkTo = (server: Server, more: Partial<ComponentOptions> = {}) =>
  new ComponentLink({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    domain: 'matrix.example.org',
    secret: 's3cret',
    minDelayMs: 10,
    maxDelayMs: 100,
    maxQueued: 10,
    log: pino({ level: 'silent' }),
    ...more,
  });

/**
 * The stand-in server's handshake accepted, then `write` on its socket. Resolves with the
 * stanzas the link handed on once `count` came (and nothing more for a moment).
 */
async function afterHandshake(
  write: (socket: Socket) => Promise<void>,
  count: number,
  dropMessage?: ComponentOptions['dropMessage'],
): Promise<Element[]> {
  const server = await standIn((socket) => {
    socket.write('<handshake/>');
    void write(socket);
  });
  const l = linkTo(server, dropMessage ? { dropMessage } : {});
  const stanzas: Element[] = [];
  l.onStanza = (el) => stanzas.push(el);
  try {
    l.start();
    await l.online();
    for (let i = 0; i < 200 && stanzas.length < count; i++)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // nothing more comes
    return stanzas;
  } finally {
    await l.stop();
    server.close();
  }
}
