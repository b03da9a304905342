// The ident server over real TCP on 127.0.0.1: an RFC 1413 query about one of our connections,
// from the host that connection goes to, gets its username; anything else gets an error.
import net from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerIdent, findSocket, IdentServer, sameHost } from './ident-server.js';
import { identUsername, IDENT_USERNAME_MAX } from './usernames.js';

/** A raw RFC 1413 client: sends `query`, returns the server's one-line answer. */
function ask(port: number, query: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(query));
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('ident server (RFC 1413)', () => {
  let ircServer: net.Server;
  let ours: net.Socket;
  let ident: IdentServer;
  const answers: string[] = [];

  beforeAll(async () => {
    // A stand-in IRC server, and one connection of ours to it.
    ircServer = net.createServer(() => undefined);
    await new Promise<void>((r) => ircServer.listen(0, '127.0.0.1', () => r()));
    const ircPort = (ircServer.address() as net.AddressInfo).port;
    ours = net.connect({ host: '127.0.0.1', port: ircPort });
    await new Promise<void>((r) => ours.once('connect', () => r()));
    ident = new IdentServer({
      port: 0,
      address: '127.0.0.1',
      log: pino({ level: 'silent' }),
      lookup: (l, r, from) => findSocket([['alice3f2a', ours]], l, r, from),
      onAnswer: (a) => answers.push(a),
    });
    await ident.start();
  });
  afterAll(async () => {
    ours.destroy();
    await ident.stop();
    ircServer.close();
  });

  it("answers a query about our connection with its username, in the RFC's format", async () => {
    const answer = await ask(ident.port, `${ours.localPort}, ${ours.remotePort}\r\n`);
    expect(answer).toBe(`${ours.localPort} , ${ours.remotePort} : USERID : UNIX : alice3f2a\r\n`);
  });

  it('answers NO-USER for ports that are not a connection of ours, INVALID-PORT for a bad query', async () => {
    expect(await ask(ident.port, `${ours.localPort}, 1\r\n`)).toBe(
      `${ours.localPort} , 1 : ERROR : NO-USER\r\n`,
    );
    expect(await ask(ident.port, '0, 70000\n')).toBe('0 , 70000 : ERROR : INVALID-PORT\r\n');
    expect(await ask(ident.port, 'hello\r\n')).toBe(' : ERROR : INVALID-PORT\r\n');
    expect(answers.slice(-3)).toEqual(['no-user', 'invalid-port', 'invalid-port']);
  });

  it('tells a connection’s username only to the host it goes to', () => {
    const lookup = (l: number, r: number, from: string) =>
      findSocket([['alice', ours]], l, r, from);
    const query = `${ours.localPort},${ours.remotePort}`;
    expect(answerIdent(query, '::ffff:127.0.0.1', lookup)).toContain('USERID : UNIX : alice');
    expect(answerIdent(query, '10.1.2.3', lookup)).toContain('ERROR : NO-USER');
    expect(sameHost('::ffff:127.0.0.1', '127.0.0.1')).toBe(true);
  });

  it('says why it cannot listen', async () => {
    const taken = new IdentServer({
      port: ident.port,
      address: '127.0.0.1',
      log: pino({ level: 'silent' }),
      lookup: () => undefined,
    });
    await expect(taken.start()).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('identUsername', () => {
  it('is stable, per user (the server part counts), and fits 10 characters of a-z 0-9', () => {
    const a = identUsername('@alice:a.org');
    expect(a).toBe(identUsername('@alice:a.org'));
    expect(a).not.toBe(identUsername('@alice:b.org'));
    expect(a).toMatch(/^alice[a-z0-9]{4}$/);
    expect(identUsername('@Very.Long_Name-1:x.org')).toMatch(/^verylo[a-z0-9]{4}$/);
    expect(identUsername('@___:x.org')).toMatch(/^m[a-z0-9]{4}$/);
    for (const u of ['@a:b', '@someone-with-a-long-name:example.org'])
      expect(identUsername(u).length).toBeLessThanOrEqual(IDENT_USERNAME_MAX);
  });
});
