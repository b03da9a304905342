// A SIP phone for the SIP bridge's integration tests: a sip.js user agent registered (digest auth)
// on the test Kamailio over WebSocket, that sends and receives MESSAGEs. Importing the bridge's
// connection module first gives sip.js its WebSocket (ws).
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import '../../bridges/sip/signalling/connection.js';
import { Messager, Registerer, UserAgent, type Message } from 'sip.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { SipConnector } from '../../bridges/sip/index.js';
import { asUser, startBridge, type HarnessOptions } from './bridge-harness.js';

export function sipWsUrl(): string {
  const url = process.env.SWITCHBOARD_TEST_SIP_WS_URL;
  if (!url)
    throw new Error(
      'Kamailio is not running: run `npm test`, which starts it (SWITCHBOARD_TEST_SIP_WS_URL is not set)',
    );
  return url;
}

export function sipPort(): number {
  const port = Number(process.env.SWITCHBOARD_TEST_SIP_PORT);
  if (!port) throw new Error('Kamailio is not running (SWITCHBOARD_TEST_SIP_PORT is not set)');
  return port;
}

/** Restarts the test Kamailio (it forgets every registration), as test/peers/sip.sh does it. */
export async function restartKamailio(): Promise<void> {
  const env = {
    ...process.env,
    SIP_WS_PORT: new URL(sipWsUrl()).port,
    SIP_PORT: String(sipPort()),
    PEERS_DIR: process.env.SWITCHBOARD_TEST_PEERS_DIR ?? process.env.PEERS_DIR,
  };
  await promisify(execFile)('bash', ['test/peers/sip.sh', 'restart'], { env });
}

export interface ReceivedText {
  from: string;
  fromUser: string | undefined;
  to: string | undefined;
  body: string;
  contentType: string | undefined;
}

export interface SipPhone {
  ua: UserAgent;
  texts: ReceivedText[];
  /** Sends a MESSAGE; resolves with the final status code. */
  text(to: string, body: string, from?: { displayName?: string }): Promise<number>;
  stop(): Promise<void>;
}

/** A phone registered as `user` (alice or bob, password `<user>pw`) on the test Kamailio (or `server`). */
export async function sipPhone(user: 'alice' | 'bob', server = sipWsUrl()): Promise<SipPhone> {
  const texts: ReceivedText[] = [];
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${user}@localhost`)!,
    authorizationUsername: user,
    authorizationPassword: `${user}pw`,
    transportOptions: { server },
    logLevel: 'error',
    logBuiltinEnabled: false,
    delegate: {
      onMessage: (message: Message) => {
        const r = message.request;
        texts.push({
          from: r.from.uri.toString(),
          fromUser: r.from.uri.user,
          to: r.to.uri.user,
          body: r.body,
          contentType: r.getHeader('Content-Type'),
        });
        void message.accept();
      },
    },
  });
  await ua.start();
  const registerer = new Registerer(ua, { expires: 300 });
  await new Promise<void>((resolve, reject) => {
    registerer.stateChange.addListener((s) => s === 'Registered' && resolve());
    void registerer.register({
      requestDelegate: { onReject: (r) => reject(new Error(`REGISTER ${r.message.statusCode}`)) },
    });
  });
  return {
    ua,
    texts,
    text: (to, body, from) =>
      new Promise<number>((resolve, reject) => {
        const target = UserAgent.makeURI(to);
        if (!target) return reject(new Error(`bad URI ${to}`));
        const m = new Messager(ua, target, body, 'text/plain', {
          ...(from?.displayName ? { params: { fromDisplayName: from.displayName } } : {}),
        });
        void m
          .message({
            requestDelegate: {
              onAccept: (r) => resolve(r.message.statusCode ?? 0),
              onReject: (r) => resolve(r.message.statusCode ?? 0),
            },
          })
          .catch(reject);
      }),
    stop: async () => {
      await registerer.unregister().catch(() => undefined);
      await ua.stop().catch(() => undefined);
    },
  };
}

/** Switchboard with the SIP connector registered as the trunk `switchboard` on the test Kamailio. */
export async function startSipBridge(
  sip: Record<string, unknown>,
  connector = new SipConnector(),
  options: Omit<HarnessOptions, 'connectors' | 'bridges'> = {},
): Promise<{ sb: Switchboard; connector: SipConnector }> {
  const sb = await startBridge({
    ...options,
    connectors: [connector],
    bridges: {
      sip: {
        enabled: true,
        server: sipWsUrl(),
        domain: 'localhost',
        account: { username: 'switchboard', password: 'switchboardpw' },
        dial_plan: { allow_domains: ['localhost'] },
        media: { mode: 'relay', rtp_bind_address: '127.0.0.1' },
        ...sip,
      },
    },
  });
  await connector.registered(15_000);
  return { sb, connector };
}

/**
 * Waits for an invite of `user` to a room not in `skip` (the bridge bot's DM), joins it and returns
 * its id. Incremental syncs: Synapse caches an initial sync's answer for a while.
 */
export async function joinInvitedRoom(
  user: { accessToken: string },
  ms = 20_000,
  skip: Set<string> = new Set(),
): Promise<string> {
  const until = Date.now() + ms;
  let since: string | undefined;
  while (Date.now() < until) {
    const query = since ? `?since=${encodeURIComponent(since)}&timeout=1000` : '?timeout=0';
    const sync = await asUser<{ next_batch: string; rooms?: { invite?: Record<string, unknown> } }>(
      user,
      'GET',
      `/_matrix/client/v3/sync${query}`,
    );
    since = sync.next_batch;
    const roomId = Object.keys(sync.rooms?.invite ?? {}).find((r) => !skip.has(r));
    if (roomId) {
      await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      return roomId;
    }
  }
  throw new Error('no room invite came');
}

/** A free UDP port on 127.0.0.1 (for sipp's SIP and media sockets). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface Sipp {
  /** Resolves with sipp's exit code (0: every call of the scenario went as written). */
  done: Promise<number>;
  output: () => string;
  kill(): void;
}

/**
 * Runs sipp (from the sip-tester package) with a scenario of test/fixtures/sipp/, its `{{name}}`
 * placeholders filled from `fill` (sipp cannot put a variable in a status line).
 */
export function sipp(scenario: string, args: string[], fill: Record<string, string> = {}): Sipp {
  let file = `test/fixtures/sipp/${scenario}.xml`;
  if (Object.keys(fill).length) {
    let text = readFileSync(file, 'utf8');
    for (const [k, v] of Object.entries(fill)) text = text.replaceAll(`{{${k}}}`, v);
    file = join(mkdtempSync(join(tmpdir(), 'sipp-')), `${scenario}.xml`);
    writeFileSync(file, text);
  }
  const child = spawn(
    'sipp',
    [
      '-sf',
      file,
      '-i',
      '127.0.0.1',
      '-m',
      '1',
      '-nostdin',
      '-timeout',
      '40',
      '-timeout_error',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { done, output: () => out, kill: () => child.kill() };
}

/**
 * Sends one raw INVITE over UDP to the test Kamailio (as a hostile or broken phone would) and
 * resolves with the first final status code (the proxy ACKs nothing for us: it is hop-by-hop).
 */
export async function rawInvite(opts: {
  to: string;
  fromUser: string;
  body: string;
  contentType?: string;
}): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const callId = `raw-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const body = Buffer.from(opts.body);
  const request = [
    `INVITE sip:${opts.to}@localhost SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId};rport`,
    `From: <sip:${opts.fromUser}@localhost>;tag=${callId}`,
    `To: <sip:${opts.to}@localhost>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:raw@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    `Content-Type: ${opts.contentType ?? 'application/sdp'}`,
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('no final response to the raw INVITE')),
        15_000,
      );
      socket.on('message', (msg) => {
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'))?.[1]);
        if (status >= 200) {
          clearTimeout(timer);
          resolve(status);
        }
      });
      socket.send(Buffer.concat([Buffer.from(request, 'latin1'), body]), sipPort(), '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
