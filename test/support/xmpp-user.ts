// XMPP users on the test Prosody (started by test/run.sh: users alice, bob, carol and dave
// @localhost, password `<name>-pw`), recording the stanzas they get, and Switchboard with the
// XMPP connector as the component `matrix.localhost`.
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { startBridge, type HarnessOptions } from './bridge-harness.js';
import { waitFor } from './synapse.js';

export const COMPONENT = 'matrix.localhost';
export const MUC_HOST = 'conference.localhost';
/** The test Prosody's MUC service with Prosody's default room locking (XEP-0045 §10.1). */
export const LOCKING_MUC_HOST = 'locking.localhost';

function port(name: string): number {
  const value = Number(process.env[name]);
  if (!value)
    throw new Error(
      `Prosody is not running: run \`npm test\`, which starts it (${name} is not set)`,
    );
  return value;
}
export const xmppC2sPort = () => port('SWITCHBOARD_TEST_XMPP_C2S_PORT');
export const xmppComponentPort = () => port('SWITCHBOARD_TEST_XMPP_COMPONENT_PORT');

export interface XmppUser {
  jid: string;
  client: Client;
  /** Every stanza received, oldest first. */
  heard: Element[];
  send(el: Element): Promise<void>;
  /** Waits for a stanza received (from now on, or already) that `match` accepts. */
  expect(match: (el: Element) => boolean, what: string, timeoutMs?: number): Promise<Element>;
  /** Bodies of the messages received from `from` (a bare or full address). */
  bodiesFrom(from: string): string[];
  stop(): Promise<void>;
}

/** Logs in one of the test users (PLAIN on plaintext, ~80 ms) and sends initial presence. */
export async function xmppUser(
  name: 'alice' | 'bob' | 'carol' | 'dave' | 'erin',
  resource = 'test',
): Promise<XmppUser> {
  const c = client({
    service: `xmpp://127.0.0.1:${xmppC2sPort()}`,
    domain: 'localhost',
    username: name,
    resource,
    // PLAIN on a plaintext loopback connection (the test Prosody has no TLS): @xmpp/client picks
    // PLAIN only on secure connections by itself.
    credentials: (authenticate) =>
      authenticate({ username: name, password: `${name}-pw` }, 'PLAIN'),
  });
  c.reconnect.stop();
  c.on('error', () => undefined);
  const heard: Element[] = [];
  c.on('stanza', (el: Element) => heard.push(el));
  await c.start();
  await c.send(xml('presence', {}));
  const startsWith = (a: string | undefined, b: string) =>
    !!a && (a === b || a.startsWith(`${b}/`));
  return {
    jid: `${name}@localhost/${resource}`,
    client: c,
    heard,
    send: (el) => c.send(el),
    expect: (match, what, timeoutMs = 20_000) => waitFor(() => heard.find(match), timeoutMs, what),
    bodiesFrom: (from) =>
      heard
        .filter((el) => el.name === 'message' && startsWith(el.attrs.from, from))
        .map((el) => el.getChildText('body'))
        .filter((b): b is string => b !== null),
    stop: async () => {
      await c.stop().catch(() => undefined);
    },
  };
}

/** Switchboard with the XMPP connector as the test Prosody's component `matrix.localhost`. */
export async function startXmppBridge(
  connector: XmppConnector = new XmppConnector(),
  config: Record<string, unknown> = {},
  options: Omit<HarnessOptions, 'connectors' | 'bridges'> = {},
): Promise<Switchboard> {
  const bridge = await startBridge({
    ...options,
    connectors: [connector],
    bridges: {
      xmpp: {
        enabled: true,
        host: '127.0.0.1',
        port: xmppComponentPort(),
        domain: COMPONENT,
        secret: 'matrixsecret',
        reconnect: { min_ms: 100, max_ms: 1_000 },
        // Most tests enter fresh MUCs through their aliases, so the bridge makes them; the tests
        // of create_rooms (xmpp-muc-create.test.ts) turn it off.
        create_rooms: true,
        ...config,
      },
    },
  });
  await connector.online();
  return bridge;
}

/** A Matrix user's address on the component (XEP-0106): `@a:localhost` → `a\3alocalhost@matrix.localhost`. */
export const matrixJid = (userId: string) => `${userId.slice(1).replace(':', '\\3a')}@${COMPONENT}`;

/** The ghost of an XMPP address, as core names it (`@xmpp_alice=40localhost:localhost`). */
export const ghostOf = (address: string) =>
  `@xmpp_${[...address]
    .map((ch) =>
      /^[a-z0-9._\-/]$/.test(ch)
        ? ch
        : [...Buffer.from(ch, 'utf8')].map((b) => `=${b.toString(16).padStart(2, '0')}`).join(''),
    )
    .join('')}:localhost`;

export const chat = (from: string, to: string, body: string, id?: string) =>
  xml('message', { type: 'chat', from, to, ...(id ? { id } : {}) }, xml('body', {}, body));

/** Joins a MUC as `nick` and waits for the room's self-presence; returns the occupant address. */
export async function joinMuc(user: XmppUser, room: string, nick: string): Promise<string> {
  const occupant = `${room}/${nick}`;
  await user.send(
    xml(
      'presence',
      { to: occupant },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' })),
    ),
  );
  await user.expect(
    (el) =>
      el.name === 'presence' &&
      el.attrs.from === occupant &&
      !!el
        .getChild('x', 'http://jabber.org/protocol/muc#user')
        ?.getChildren('status')
        .some((s) => s.attrs.code === '110'),
    `${user.jid} in ${room}`,
  );
  return occupant;
}

export const groupchat = (room: string, body: string, id?: string) =>
  xml('message', { type: 'groupchat', to: room, ...(id ? { id } : {}) }, xml('body', {}, body));

/** Whether a presence from `occupant` says it is in the room (not unavailable). */
export const inRoom = (el: Element, occupant: string) =>
  el.name === 'presence' && el.attrs.from === occupant && el.attrs.type !== 'unavailable';
