// Prosody restarts mid-conversation: what Matrix users say while it is down waits in the
// bridge's queue and reaches XMPP in order once the component is back (the contact, offline
// meanwhile, gets it from Prosody's offline store; the MUC once the occupant is back in it); the
// Matrix user's MUC occupant joins the room again by itself, and the conversation goes on both
// ways. /metrics tells the admin the component is down, what waits in its queue, and the drop.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { xml } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { enterMuc, joinDmRoom, matrixUser, xmppScope } from '../support/xmpp-scope.js';
import {
  chat,
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  matrixJid,
  MUC_HOST,
  type XmppUser,
} from '../support/xmpp-user.js';

const run = promisify(execFile);
/** test/peers/xmpp.sh with the ports and state folder test/run.sh gave the tests. */
const prosody = (cmd: 'start' | 'stop') =>
  run('bash', ['test/peers/xmpp.sh', cmd], {
    env: {
      ...process.env,
      PEERS_DIR: requireSynapse().peersDir,
      XMPP_C2S_PORT: process.env.SWITCHBOARD_TEST_XMPP_C2S_PORT,
      XMPP_COMPONENT_PORT: process.env.SWITCHBOARD_TEST_XMPP_COMPONENT_PORT,
      XMPP_HTTP_PORT: process.env.SWITCHBOARD_TEST_XMPP_HTTP_PORT,
    },
  });

describe('a Prosody restart mid-conversation loses nothing (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `restart${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let alice: XmppUser;
  let carol: XmppUser;
  let dmRoom: string;
  let mucRoom: string;
  /** The bridge's `switchboard_xmpp_<name>` gauge on /metrics. */
  let gauge: (name: string) => Promise<number | undefined>;
  const mattNick = `Matt ${suffix}`;

  beforeAll(async () => {
    requireSynapse();
    [alice, carol] = await Promise.all([
      scope.user('alice', 'restart'),
      scope.user('carol', 'restart'),
    ]);
    await joinMuc(carol, room, 'Carol');
    const bridge = await scope.bridge(connector);
    gauge = async (name) => {
      const text = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      const value = new RegExp(`^switchboard_xmpp_${name} (\\d+)$`, 'm').exec(text)?.[1];
      return value === undefined ? undefined : Number(value);
    };
    matt = await matrixUser('matt', mattNick);
    await alice.send(chat(alice.jid, matrixJid(matt.userId), 'before the restart'));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', matt);
    mucRoom = await enterMuc(matt, room, mattNick, carol);
  });

  afterAll(async () => {
    // Whatever happened, leave a running Prosody for the next test file (the scope then stops
    // the users and the bridge).
    await prosody('start').catch(() => undefined);
  });

  it('messages sent while Prosody is down arrive in order once it is back', async () => {
    await alice.stop();
    await carol.stop();
    await prosody('stop');
    for (const n of [1, 2, 3]) await sendText(matt, dmRoom, `while down ${n}`);
    await sendText(matt, mucRoom, 'to the room while down');
    // /metrics tells the admin: the component is down, the four wait in its queue.
    await waitFor(async () => ((await gauge('queued_stanzas')) ?? 0) >= 4, 20_000, '4 queued');
    expect(await gauge('component_online')).toBe(0);
    await prosody('start');
    await connector.online();
    expect(await gauge('component_online')).toBe(1);
    expect(await gauge('connection_drops')).toBe(1);
    alice = await scope.user('alice', 'restart');
    const mattJid = matrixJid(matt.userId);
    await waitFor(() => alice.bodiesFrom(mattJid).length >= 3, 20_000, 'the queued messages');
    expect(alice.bodiesFrom(mattJid)).toEqual(['while down 1', 'while down 2', 'while down 3']);
    expect(await gauge('queued_stanzas')).toBe(0);
  });

  it("the Matrix user's occupant is back in the MUC, and the room talks both ways", async () => {
    carol = await scope.user('carol', 'restart');
    // Carol enters asking for the room's history (joinMuc asks for none).
    await carol.send(
      xml(
        'presence',
        { to: `${room}/Carol` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await carol.expect((el) => inRoom(el, `${room}/${mattNick}`), 'matt back in the MUC');
    // What Matt said to the room while Prosody was down reached it once his occupant was back in.
    await waitFor(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('to the room while down'),
      20_000,
      "Matt's line from while Prosody was down, in the room's history",
    );
    await sendText(matt, mucRoom, 'after the restart');
    await waitFor(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('after the restart'),
      20_000,
      'on XMPP',
    );
    await carol.send(groupchat(room, 'welcome back'));
    const ghost = ghostOf(`${room}/Carol`);
    await waitFor(
      async () =>
        (await roomEvents(matt, mucRoom)).find(
          (e) => e.sender === ghost && e.content.body === 'welcome back',
        ),
      20_000,
      'in Matrix',
    );
  });
});
