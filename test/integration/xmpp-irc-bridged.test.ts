// One room linked to an XMPP MUC and an IRC channel at once (provisioning API), against real
// Prosody, InspIRCd and Synapse: a line from IRC reaches XMPP through Matrix (the IRC user's
// ghost is an occupant of its own), and a line from XMPP reaches IRC; nothing loops back.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { AnyConnector } from '../../src/core/bridge-runtime.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, startBridge } from '../support/bridge-harness.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import {
  COMPONENT,
  ghostOf,
  groupchat,
  joinMuc,
  MUC_HOST,
  xmppComponentPort,
  xmppUser,
  type XmppUser,
} from '../support/xmpp-user.js';

const SECRET = 'xmpp_irc_provisioning_secret_0123456789';
const BOT = '@switchboard:localhost';

describe('a room linked to XMPP and IRC at once (Prosody + InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const muc = `both${suffix}@${MUC_HOST}`;
  const channel = `#both${suffix}`;
  const bobNick = `Bob${suffix}`;
  const xmpp = new XmppConnector();
  let bridge: Switchboard;
  let alice: TestUser;
  let carol: XmppUser;
  let bob: IrcUser;
  let roomId: string;

  const link = async (bridgeId: string, remote: string) => {
    const res = await fetch(`${testRegistration().url}/_switchboard/provision/v1/portals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ bridge: bridgeId, remote_id: remote, room_id: roomId }),
    });
    expect(res.status, await res.text()).toBeLessThan(300);
  };

  beforeAll(async () => {
    requireSynapse();
    carol = await xmppUser('carol', `both${suffix}`);
    await joinMuc(carol, muc, 'Carol');
    bob = await ircUser(bobNick, channel);
    bridge = await startBridge({
      connectors: [new IrcConnector() as AnyConnector, xmpp as AnyConnector],
      provisioningSecret: SECRET,
      bridges: {
        irc: {
          enabled: true,
          networks: {
            test: { host: '127.0.0.1', port: ircPort(), tls: false, bot_nick: `sbb${suffix}` },
          },
        },
        xmpp: {
          enabled: true,
          host: '127.0.0.1',
          port: xmppComponentPort(),
          domain: COMPONENT,
          secret: 'matrixsecret',
          reconnect: { min_ms: 100, max_ms: 1_000 },
        },
      },
    });
    await xmpp.online();
    alice = await registerUser(uniqueLocalpart('alice'));
    roomId = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        invite: [BOT],
      })
    ).room_id;
    await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).some(
          (e) =>
            e.type === 'm.room.member' && e.state_key === BOT && e.content.membership === 'join',
        ),
      20_000,
      'the bot in the room',
    );
    await link('xmpp', `muc/${muc}`);
    await link('irc', `test/${channel}`);
    // The room's first Matrix speaker puts an occupant in the MUC (the bridge reads it through it).
    await asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/a${suffix}`,
      { msgtype: 'm.text', body: 'hello both' },
    );
    await waitFor(() => carol.bodiesFrom(muc).includes('hello both'), 30_000, 'alice on XMPP');
  });

  afterAll(async () => {
    await carol?.stop();
    bob?.client.quit('bye');
    await bridge?.stop();
  });

  it('IRC → Matrix → XMPP: the IRC user speaks in the MUC as an occupant of their own', async () => {
    bob.client.say(channel, 'from irc');
    const line = await waitFor(
      () =>
        carol.heard.find((el) => el.name === 'message' && el.getChildText('body') === 'from irc'),
      30_000,
      'the IRC line on XMPP',
    );
    expect(line.attrs.from).toBe(`${muc}/${bobNick}`);
  });

  it('XMPP → Matrix → IRC, and nothing comes back to XMPP', async () => {
    await carol.send(groupchat(muc, 'from xmpp'));
    await waitFor(
      () => bob.heard.find((m) => m.message.includes('from xmpp')),
      30_000,
      'the XMPP line on IRC',
    );
    const ghost = ghostOf(`${muc}/Carol`);
    const inMatrix = (await roomEvents(alice, roomId)).filter(
      (e) => e.type === 'm.room.message' && e.content.body === 'from xmpp',
    );
    expect(inMatrix.map((e) => e.sender)).toEqual([ghost]);
    // No echo of Carol's own line as someone else's occupant.
    expect(
      carol.heard.filter(
        (el) =>
          el.name === 'message' &&
          el.getChildText('body')?.includes('from xmpp') &&
          el.attrs.from !== `${muc}/Carol`,
      ),
    ).toEqual([]);
  });
});
