// IrcConnection.sendMessages against a tiny fake IRC server that offers labeled-response (it
// negotiates CAP, welcomes after CAP END, and answers each labeled line as `answer` says): lines
// go out labeled and in order through flood control, a send resolves on the answers and fails
// with IRC's reason for the lines refused; without the cap, lines go out as before, unlabeled.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { networkSchema } from '../config.js';
import { IrcConnection } from './connection.js';
import { fakeIrcd, type FakeIrcd } from '../../../test/support/fake-ircd.js';
import { kick } from './requests.js';

/** The server's answer to a labeled line: a line to send back (with the label added), or none. */
type Answer = (line: string) => string | undefined;

const servers: FakeIrcd[] = [];
const connections: IrcConnection[] = [];

/** Negotiates CAP (offering `caps`), welcomes after CAP END, answers labeled lines with `answer`. */
async function fakeServer(caps: string, answer: Answer, unlabeled?: Answer): Promise<FakeIrcd> {
  const server = await fakeIrcd((line, { nick, send }) => {
    if (line.startsWith('CAP LS')) send(`:fake CAP * LS :${caps}`);
    else if (line.startsWith('CAP REQ :')) send(`:fake CAP ${nick} ACK :${line.slice(9)}`);
    else if (line === 'CAP END') send(`:fake 001 ${nick} :Welcome`);
    const label = /^@label=(\S+) /.exec(line)?.[1];
    const reply = label === undefined ? undefined : answer(line);
    if (reply !== undefined) send(`@label=${label} ${reply}`);
    const plain = label === undefined && nick ? unlabeled?.(line) : undefined;
    if (plain !== undefined) send(plain);
  });
  servers.push(server);
  return server;
}

async function connected(server: FakeIrcd, linesPerSecond = 0): Promise<IrcConnection> {
  const network = networkSchema.parse({
    host: '127.0.0.1',
    port: server.port,
    tls: false,
    flood: { lines_per_second: linesPerSecond, burst: 1 },
  });
  const conn = new IrcConnection({
    network,
    nick: 'alice',
    username: 'alice',
    gecos: 'alice',
    log: pino({ level: 'silent' }),
  });
  connections.push(conn);
  conn.connect();
  await conn.ready();
  return conn;
}

const sent = (server: FakeIrcd) => server.lines.filter((l) => /(^| )(PRIVMSG|NOTICE) /.test(l));
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
};
/** ACK, or 404 for a line whose text says `refuse`. */
const moderated: Answer = (line) =>
  line.includes(':refuse') ? ':fake 404 alice #a :Cannot send to channel (+m)' : ':fake ACK';

afterEach(async () => {
  for (const c of connections.splice(0)) c.stop();
  for (const s of servers.splice(0)) await s.down().catch(() => undefined);
});

/** The server's answer to a send: `sendMessages` resolves once the lines are written. */
const answered = async (sending: Promise<{ answered: Promise<string[]> }>) =>
  (await sending).answered;

describe('IrcConnection.sendMessages with labeled-response', () => {
  it('labels every line, keeps their order through flood control, and resolves on the ACKs', async () => {
    const server = await fakeServer('batch message-tags labeled-response', moderated);
    const conn = await connected(server, 20);
    await Promise.all([
      answered(conn.sendMessages(['PRIVMSG #a :1', 'PRIVMSG #a :2'])),
      answered(conn.sendMessages(['NOTICE #a :3'])),
    ]);
    const labeled = sent(server).map((l) => /^@label=(\S+) (.*)$/.exec(l));
    expect(labeled.map((m) => m?.[2])).toEqual(['PRIVMSG #a :1', 'PRIVMSG #a :2', 'NOTICE #a :3']);
    expect(new Set(labeled.map((m) => m?.[1])).size).toBe(3);
    expect(conn.busy).toBe(false);
  });

  it('adds the label to the tags a line already has (a reply)', async () => {
    const server = await fakeServer('batch message-tags labeled-response', moderated);
    const conn = await connected(server);
    await answered(conn.sendMessages(['@+draft/reply=abc PRIVMSG #a :yes', 'PRIVMSG #a :more']));
    expect(sent(server)).toEqual([
      expect.stringMatching(/^@label=\w+;\+draft\/reply=abc PRIVMSG #a :yes$/),
      expect.stringMatching(/^@label=\w+ PRIVMSG #a :more$/),
    ]);
  });

  it('fails with IRC’s reason for the whole message, or names the lines it refused', async () => {
    const server = await fakeServer('batch message-tags labeled-response', moderated);
    const conn = await connected(server);
    await expect(
      answered(conn.sendMessages(['PRIVMSG #a :refuse', 'PRIVMSG #a :refuse'])),
    ).rejects.toMatchObject({
      code: 'rejected',
      retriable: true,
      userMessage: 'IRC refused the message: Cannot send to channel (+m)',
    });
    await expect(
      answered(
        conn.sendMessages(['PRIVMSG #a :fine', 'PRIVMSG #a :refuse', 'PRIVMSG #a :fine too']),
      ),
    ).rejects.toMatchObject({
      retriable: false,
      userMessage:
        'IRC refused line 2 of 3 (the other lines were sent): Cannot send to channel (+m)',
    });
  });

  it('a line the server never answers counts as sent once the connection drops', async () => {
    const server = await fakeServer('batch message-tags labeled-response', () => undefined);
    const conn = await connected(server);
    const sending = answered(conn.sendMessages(['PRIVMSG #a :into the void']));
    await until(() => sent(server).length > 0);
    expect(conn.busy).toBe(true); // waiting for the answer: not to be quit as idle
    for (const s of server.sockets) s.destroy();
    await expect(sending).resolves.toEqual([]);
  });

  it('without the cap, lines go out unlabeled and the send resolves once written', async () => {
    const server = await fakeServer('batch message-tags', () => ':fake ACK');
    const conn = await connected(server);
    await answered(conn.sendMessages(['PRIVMSG #a :plain']));
    await until(() => sent(server).length > 0);
    expect(sent(server)).toEqual(['PRIVMSG #a :plain']);
  });

  it('the refusal of a labeled line is not taken for the answer to a kick under way', async () => {
    const server = await fakeServer(
      'batch message-tags labeled-response',
      () => ':fake 401 alice gone :No such nick',
      (line) => (line.startsWith('KICK ') ? ':alice!u@h KICK #a bob :bye' : undefined),
    );
    const conn = await connected(server);
    const pm = answered(conn.sendMessages(['PRIVMSG gone :hello?']));
    const kicking = kick(conn, '#a', 'bob', 'bye', false);
    await expect(pm).rejects.toMatchObject({
      userMessage: 'IRC refused the message: No such nick',
    });
    await expect(kicking).resolves.toBeUndefined();
  });
});
