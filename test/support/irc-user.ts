// A plain IRC user on the test InspIRCd (started by test/run.sh), or on its ngIRCd, recording what it hears.
import IRC, { type Client, type MessageEvent } from 'irc-framework';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import type { MatrixUserId } from '../../src/connector.js';
import { asUser, startBridge, type HarnessOptions } from './bridge-harness.js';
import { waitFor, type TestUser } from './synapse.js';

export function ircPort(): number {
  const port = Number(process.env.SWITCHBOARD_TEST_IRC_PORT);
  if (!port) {
    throw new Error(
      'InspIRCd is not running: run `npm test`, which starts it (SWITCHBOARD_TEST_IRC_PORT is not set)',
    );
  }
  return port;
}

/** The test ngIRCd (a minimal RFC-only server, plaintext), started by test/run.sh beside InspIRCd. */
export function ngircdPort(): number {
  const port = Number(process.env.SWITCHBOARD_TEST_NGIRCD_PORT);
  if (!port) {
    throw new Error(
      'ngIRCd is not running: run `npm test`, which starts it (SWITCHBOARD_TEST_NGIRCD_PORT is not set)',
    );
  }
  return port;
}

export interface Heard extends MessageEvent {
  type: 'privmsg' | 'notice' | 'action';
}

export interface IrcUser {
  client: Client;
  heard: Heard[];
  /** Raw lines from the server. */
  raw: string[];
  /** The nicks in a channel (NAMES), or [] after 2 s without an answer. */
  names(channel: string): Promise<string[]>;
}

/** Connects as `nick` (to `port`, InspIRCd's by default) and joins `channel`. */
export async function ircUser(nick: string, channel: string, port = ircPort()): Promise<IrcUser> {
  const client = new IRC.Client();
  const heard: Heard[] = [];
  const raw: string[] = [];
  client.requestCap(['server-time', 'message-tags']);
  for (const type of ['privmsg', 'notice', 'action'] as const)
    client.on(type, (e: MessageEvent) => heard.push({ ...e, type }));
  client.on(
    'raw',
    (e: { line: string; from_server: boolean }) => e.from_server && raw.push(e.line),
  );
  const registered = new Promise<void>((resolve, reject) => {
    client.once('registered', () => resolve());
    client.once('close', () => reject(new Error('IRC test client could not connect')));
  });
  client.connect({
    host: '127.0.0.1',
    port,
    nick,
    username: 'tester',
    gecos: 'IRC test user',
    tls: false,
    auto_reconnect: false,
  });
  await registered;
  const joined = new Promise<void>((resolve) =>
    client.on('join', (e: { nick: string }) => e.nick === nick && resolve()),
  );
  client.join(channel);
  await joined;
  const names = (c: string) =>
    new Promise<string[]>((resolve) => {
      const timer = setTimeout(() => (client.off('userlist', onList), resolve([])), 2_000);
      const onList = (e: { channel: string; users: { nick: string }[] }) => {
        if (e.channel.toLowerCase() !== c.toLowerCase()) return;
        clearTimeout(timer);
        client.off('userlist', onList);
        resolve(e.users.map((u) => u.nick));
      };
      client.on('userlist', onList);
      client.raw(`NAMES ${c}`);
    });
  return { client, heard, raw, names };
}

/** The nick the default `nick_template` (`{localpart}[m]`) gives a Matrix user. */
/** An IRC line's parameters without the colon of the last one (InspIRCd writes `+b :mask`). */
export const flat = (line: string) => line.replaceAll(' :', ' ');

/** Waits until `listener` hears `body` from `nick` (PRIVMSG, NOTICE or ACTION); what it heard. */
export const heardFrom = (listener: IrcUser, nick: string, body: string, timeoutMs = 20_000) =>
  waitFor(
    () => listener.heard.find((e) => e.nick === nick && e.message === body),
    timeoutMs,
    `"${body}" from ${nick} on IRC`,
  );

export const defaultPuppetNick = (userId: string) => `${userId.slice(1, userId.indexOf(':'))}[m]`;

/**
 * Switchboard with the IRC connector and one network, `test`, on the test InspIRCd (plaintext);
 * `network` adds or overrides its keys; `options` are the harness's (the same `database` again: a restart).
 */
export function startIrcBridge(
  network: Record<string, unknown> = {},
  connector: IrcConnector = new IrcConnector(),
  options: Omit<HarnessOptions, 'connectors' | 'bridges'> = {},
): Promise<Switchboard> {
  return startBridge({
    ...options,
    connectors: [connector],
    bridges: {
      irc: {
        enabled: true,
        networks: { test: { host: '127.0.0.1', port: ircPort(), tls: false, ...network } },
      },
    },
  });
}

/** Waits for the room of `user`'s private conversation with `nick` (on network `test`), joins it and returns its id. */
export async function joinPmRoom(
  connector: IrcConnector,
  user: TestUser,
  nick: string,
): Promise<string> {
  const room = await waitFor(
    () => connector.pmRoomOf('test', nick, user.userId as MatrixUserId),
    20_000,
    `the PM room with ${nick}`,
  );
  await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});
  return room;
}
