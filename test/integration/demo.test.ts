// `switchboard demo` end to end, as a new user runs it: a child process on free ports with a
// state folder of its own (and the test run's Synapse venv, so nothing is pip-installed). It prints
// how to join; a matrix-js-sdk user logs in with the printed password and joins the printed
// rooms, an irc-framework user connects to the printed host and port and joins the printed
// channel; they talk through the bridge both ways, and the echo room answers. Then SIGINT: the
// demo exits 0 and nothing it started is left (its PIDs are gone, its ports free, no PID files).
// A port in use stops it before it starts anything, naming the port and the flag that moves it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import IRC, { type Client, type MessageEvent } from 'irc-framework';
import { client as xmppClient, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { createClient, Direction, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindProblem } from '../../src/demo/ports.js';
import { sipPhone, type SipPhone } from '../support/sip-phone.js';
import {
  alive,
  cleanUp,
  field,
  freePorts,
  interrupt,
  roomAliases,
  section,
  startDemo,
  UP_TIMEOUT_MS,
  waitUp,
  type Demo,
  type Ports,
} from '../support/demo-process.js';
import { waitFor } from '../support/synapse.js';

describe('switchboard demo (Synapse, InspIRCd and the bridge on loopback)', () => {
  let demo: Demo;
  const pids: Record<string, number> = {};
  let ports: Ports;
  let matrix: MatrixClient | undefined;
  let irc: Client | undefined;
  let xmpp: ReturnType<typeof xmppClient> | undefined;
  let phone: SipPhone | undefined;
  const heard: MessageEvent[] = [];
  const suffix = randomBytes(3).toString('hex');
  const ircNick = `carol${suffix}`;

  beforeAll(async () => {
    ports = await freePorts();
    demo = startDemo(ports);
    const up = await waitUp(demo);
    console.log(`demo up in ${up.ms} ms`);
    Object.assign(pids, up.pids);
  }, UP_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    matrix?.stopClient();
    irc?.quit('bye');
    await xmpp?.stop().catch(() => undefined);
    await phone?.stop();
    await cleanUp(demo);
  });

  it('prints how to join, and both sides talk through it with what it printed', async () => {
    const out = demo.out();
    const homeserver = field(out, 'homeserver');
    const user = field(out, 'user');
    const password = field(out, 'password');
    const host = field(out, 'host');
    const port = Number(field(out, 'port'));
    const channel = field(out, 'channel');
    const aliases = roomAliases(out);
    expect(homeserver).toBe(`http://127.0.0.1:${ports.hs}`);
    expect(user).toBe('@demo:localhost');
    expect(host).toBe('127.0.0.1');
    expect(port).toBe(ports.irc);
    expect(channel).toBe('#demo');
    expect(aliases).toEqual([
      '#irc_demo_#demo:localhost',
      '#xmpp_demo=40conference.localhost:localhost',
      '#echo_lobby:localhost',
    ]);

    // The Matrix side: log in with the printed password, join the printed rooms.
    const login = await createClient({ baseUrl: homeserver }).loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
    });
    matrix = createClient({
      baseUrl: homeserver,
      accessToken: login.access_token,
      userId: login.user_id,
      deviceId: login.device_id,
    });
    const ircRoom = (await matrix.joinRoom(aliases[0]!)).roomId;
    const echoRoom = (await matrix.joinRoom(aliases[2]!)).roomId;
    const saidIn = (roomId: string, sender: string, body: string) =>
      waitFor(
        async () =>
          (await matrix!.createMessagesRequest(roomId, null, 50, Direction.Backward)).chunk.find(
            (e) => e.sender === sender && e.content?.body === body,
          ),
        30_000,
        `"${body}" from ${sender}`,
        250,
      );

    // The IRC side: connect to the printed host and port, join the printed channel.
    const client = (irc = new IRC.Client());
    client.on('privmsg', (e: MessageEvent) => heard.push(e));
    const registered = new Promise<void>((resolve, reject) => {
      client.once('registered', () => resolve());
      client.once('close', () => reject(new Error(`could not connect to ${host}:${port}`)));
    });
    client.connect({
      host,
      port,
      nick: ircNick,
      username: 'carol',
      gecos: 'Carol',
      auto_reconnect: false,
    });
    await registered;
    const joined = new Promise<void>((resolve) =>
      client.on('join', (e: { nick: string }) => e.nick === ircNick && resolve()),
    );
    client.join(channel);
    await joined;

    // Matrix → IRC, through the demo user's own IRC connection (demo[m]).
    const fromMatrix = `hello from matrix ${suffix}`;
    await matrix.sendTextMessage(ircRoom, fromMatrix);
    const got = await waitFor(
      () => heard.find((e) => e.message === fromMatrix),
      30_000,
      `"${fromMatrix}" on IRC`,
    );
    expect(got.nick).toBe('demo[m]');
    expect(got.target.toLowerCase()).toBe(channel);

    // IRC → Matrix, as carol's ghost.
    const fromIrc = `hello from irc ${suffix}`;
    client.say(channel, fromIrc);
    await saidIn(ircRoom, `@irc_demo_${ircNick}:localhost`, fromIrc);

    // The echo bridge answers in its room.
    await matrix.sendTextMessage(echoRoom, `echo ${suffix}`);
    await saidIn(echoRoom, '@echo_echo:localhost', `echo ${suffix}`);

    // The XMPP side: log in as the printed user, join the printed MUC; it talks with Matrix.
    const xmppBanner = section(out, 'From any XMPP client');
    const [xmppHost, , xmppPort] = field(xmppBanner, 'server', 3);
    const xmppJid = field(out, 'xmpp user');
    const muc = field(out, 'muc');
    expect(Number(xmppPort)).toBe(ports.xmpp);
    const xmppRoom = (await matrix.joinRoom(aliases[1]!)).roomId;
    const local = xmppJid.split('@')[0]!;
    const x = (xmpp = xmppClient({
      service: `xmpp://${xmppHost}:${xmppPort}`,
      domain: xmppJid.split('@')[1]!,
      username: local,
      resource: 'demo',
      credentials: (auth) => auth({ username: local, password: field(out, 'xmpp pass') }, 'PLAIN'),
    }));
    x.reconnect.stop();
    x.on('error', () => undefined);
    const stanzas: Element[] = [];
    x.on('stanza', (el: Element) => stanzas.push(el));
    await x.start();
    await x.send(
      xml(
        'presence',
        { to: `${muc}/Alice` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await matrix.sendTextMessage(xmppRoom, `hello xmpp ${suffix}`);
    await waitFor(
      () =>
        stanzas.find(
          (el) => el.name === 'message' && el.getChildText('body') === `hello xmpp ${suffix}`,
        ),
      30_000,
      'the Matrix message on XMPP',
      250,
    );
    await x.send(
      xml('message', { type: 'groupchat', to: muc }, xml('body', {}, `hello matrix ${suffix}`)),
    );
    await saidIn(
      xmppRoom,
      `@xmpp_demo=40conference.localhost/=41lice:localhost`,
      `hello matrix ${suffix}`,
    );

    // The printed gateway: the Matrix room as a MUC, where the Matrix user's line and the echo's
    // answer reach the XMPP user, and the XMPP user's line reaches Matrix from their ghost.
    const gateway = field(xmppBanner, 'gateway');
    expect(gateway).toBe('#echo_lobby#localhost@matrix.localhost');
    await x.send(
      xml(
        'presence',
        { to: `${gateway}/Alice` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await waitFor(
      () => stanzas.find((el) => el.name === 'presence' && el.attrs.from === `${gateway}/Alice`),
      30_000,
      'in the gateway room',
      250,
    );
    const line = `through the gateway ${suffix}`;
    await matrix.sendTextMessage(echoRoom, line);
    const heardFrom = (nick: string) =>
      stanzas.some(
        (el) =>
          el.name === 'message' &&
          el.attrs.from === `${gateway}/${nick}` &&
          !!el.getChildText('body')?.endsWith(line), // the echo's answer quotes it first
      );
    await waitFor(
      () => heardFrom('demo') && heardFrom('Echo'),
      30_000,
      'the Matrix line and its echo on XMPP',
      250,
    );
    await x.send(
      xml('message', { type: 'groupchat', to: gateway }, xml('body', {}, `in the lobby ${suffix}`)),
    );
    await saidIn(echoRoom, '@xmpp_alice=40localhost:localhost', `in the lobby ${suffix}`);

    // The SIP side: a phone with the printed account (alice) texts the printed number; the demo
    // user gets a DM with alice's ghost holding the text.
    const sipBanner = section(out, 'From a SIP softphone');
    expect(field(sipBanner, 'server')).toBe(`127.0.0.1:${ports.sip}`);
    const number = field(sipBanner, 'call');
    expect(out).toMatch(/^ {2}accounts +alice \/ alicepw/m);
    phone = await sipPhone('alice', `ws://127.0.0.1:${ports.sipWs}`);
    const fromSip = `hello from a softphone ${suffix}`;
    // Synapse answers a repeated initial /sync from its cache for 2 minutes: sync from a token.
    type Sync = { next_batch: string; rooms?: { invite?: Record<string, unknown> } };
    const sync = async (query: string) =>
      (await (
        await fetch(`${homeserver}/_matrix/client/v3/sync?${query}`, {
          headers: { authorization: `Bearer ${login.access_token}` },
        })
      ).json()) as Sync;
    let since = (await sync('timeout=0')).next_batch;
    expect(await phone.text(`sip:${number}@localhost`, fromSip)).toBe(200);
    const nextInvite = (what: string) =>
      waitFor(
        async () => {
          const next = await sync(`timeout=1000&since=${encodeURIComponent(since)}`);
          since = next.next_batch;
          return Object.keys(next.rooms?.invite ?? {})[0];
        },
        30_000,
        what,
        500,
      );
    const dm = await nextInvite("the DM invite from alice's ghost");
    await matrix.joinRoom(dm);
    await saidIn(dm, '@sip_alice=40localhost:localhost', fromSip);

    // The printed "chat with": an XMPP message to that address is a direct chat with the user.
    await x.send(
      xml(
        'message',
        { type: 'chat', to: field(xmppBanner, 'chat with') },
        xml('body', {}, `direct ${suffix}`),
      ),
    );
    const direct = await nextInvite("the DM invite from alice's XMPP ghost");
    await matrix.joinRoom(direct);
    await saidIn(direct, '@xmpp_alice=40localhost:localhost', `direct ${suffix}`);
  }, 120_000);

  it('Ctrl-C (SIGINT) stops everything it started: PIDs gone, ports free, no PID files', async () => {
    expect(Object.values(pids).every(alive)).toBe(true);
    irc?.quit('bye');
    irc = undefined;
    await phone?.stop();
    phone = undefined;
    expect(await interrupt(demo)).toBe(0);
    expect(demo.out()).toContain('everything it started is stopped');
    for (const [name, pid] of Object.entries(pids))
      expect(alive(pid), `${name} (pid ${pid})`).toBe(false);
    for (const port of Object.values(ports))
      expect(await bindProblem(port), `port ${port}`).toBeUndefined();
    for (const name of ['synapse', 'inspircd', 'prosody', 'kamailio', 'demo'])
      expect(existsSync(join(demo.dir, `${name}.pid`)), `${name}.pid`).toBe(false);
  }, 60_000);
});

describe('switchboard demo run again after kill -9, in the same folder', () => {
  let first: Demo | undefined;
  let second: Demo | undefined;
  afterAll(async () => {
    await cleanUp(second);
    await cleanUp(first);
  });

  it(
    'stops what the killed one left (by its PID files) and comes up again',
    async () => {
      const ports = await freePorts();
      first = startDemo(ports);
      const { pids: left } = await waitUp(first);
      first.proc.kill('SIGKILL');
      await first.exited;
      expect(Object.values(left).every(alive)).toBe(true); // nobody stopped them: leftovers

      second = startDemo(ports, first.dir);
      const up = await waitUp(second);
      console.log(`second run up in ${up.ms} ms`);
      for (const [name, pid] of Object.entries(left)) expect(alive(pid), `old ${name}`).toBe(false);
      expect(Object.values(up.pids).every(alive)).toBe(true);
      expect(await interrupt(second)).toBe(0);
      for (const pid of Object.values(up.pids)) expect(alive(pid)).toBe(false);
      for (const port of Object.values(ports)) expect(await bindProblem(port)).toBeUndefined();
    },
    2 * UP_TIMEOUT_MS + 60_000,
  );
});

describe('switchboard demo with a port in use', () => {
  let holder: Server | undefined;
  afterAll(() => holder?.close());

  it('stops before starting anything, naming the port, what needs it and the flag to change it', async () => {
    const ports = await freePorts();
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(ports.irc, '127.0.0.1', resolve));
    const demo = startDemo(ports);
    const code = await demo.exited;
    expect(code).toBe(15);
    expect(demo.out()).toContain(
      `port ${ports.irc} on 127.0.0.1 is already in use: it is for the IRC server (InspIRCd)`,
    );
    expect(demo.out()).toContain('--irc-port <port>');
    expect(existsSync(join(demo.dir, 'synapse.pid'))).toBe(false);
    expect(existsSync(join(demo.dir, 'inspircd.pid'))).toBe(false);
    expect(existsSync(join(demo.dir, 'demo.pid'))).toBe(false);
  }, 60_000);
});
