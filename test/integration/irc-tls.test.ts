// The IRC bridge over TLS with certificate checks, against real InspIRCd (its TLS port has a
// self-signed certificate made by test/peers/irc.sh) and real Synapse. One bridge, two networks on
// the same TLS port: `tls` trusts the test certificate through `tls_ca_file`, `noca` has no CA.
// Proves: (a) with tls_ca_file a Matrix message reaches an IRC user through a TLS connection
// (the server's WHOIS says the puppet is on a secure connection) and an IRC message comes back;
// (b) without the CA the bridge does not connect (the certificate is not trusted), and a Matrix
// message there fails at once with a notice that names the certificate problem.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, startBridge, type RoomEvent } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircUser, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

import { BOT } from '../support/management-room.js';

function tlsPeer(): { port: number; ca: string } {
  const port = Number(process.env.SWITCHBOARD_TEST_IRC_TLS_PORT);
  const ca = process.env.SWITCHBOARD_TEST_IRC_CA;
  if (!port || !ca)
    throw new Error(
      "InspIRCd's TLS port is not running: run `npm test`, which starts it (SWITCHBOARD_TEST_IRC_TLS_PORT / SWITCHBOARD_TEST_IRC_CA are not set)",
    );
  return { port, ca };
}

describe('IRC bridge over TLS (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#tls${suffix}`;
  const bobNick = `Bob${suffix}`;
  const ghost = `@irc_tls_bob${suffix}:localhost`;
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: IrcUser;
  let puppetNick: string;
  let roomId: string;
  let txn = 0;

  const send = async (room: string, content: Record<string, unknown>) =>
    (
      await asUser<{ event_id: string }>(
        alice,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/s${Date.now()}.${++txn}`,
        content,
      )
    ).event_id;

  beforeAll(async () => {
    requireSynapse();
    const { port, ca } = tlsPeer();
    bob = await ircUser(bobNick, channel);
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          networks: {
            tls: { host: '127.0.0.1', port, tls: true, tls_ca_file: ca, bot_nick: `sbt${suffix}` },
            noca: { host: '127.0.0.1', port, tls: true, bot_nick: `sbn${suffix}` },
          },
        },
      },
    });
    alice = await registerUser(uniqueLocalpart('alice'));
    puppetNick = defaultPuppetNick(alice.userId);
    roomId = await joinChannelRoom(alice, channel, 'tls');
  });

  afterAll(async () => {
    bob?.client.quit('bye');
    await bridge?.stop();
  });

  it('with tls_ca_file: a Matrix message reaches IRC over TLS, and an IRC message comes back', async () => {
    await send(roomId, { msgtype: 'm.text', body: 'hello over tls' });
    const heard = await waitFor(
      () =>
        bob.heard.find(
          (e) => e.nick === puppetNick && e.target === channel && e.message === 'hello over tls',
        ),
      20_000,
      "the puppet's PRIVMSG",
    );
    expect(heard.type).toBe('privmsg');

    // The server's WHOIS: 671 RPL_WHOISSECURE "is using a secure connection" for the puppet.
    bob.client.raw(`WHOIS ${puppetNick}`);
    await waitFor(
      () => bob.raw.find((l) => / 318 /.test(l) && l.includes(puppetNick)),
      10_000,
      'the end of WHOIS',
    );
    expect(bob.raw.some((l) => / 671 /.test(l) && l.includes(puppetNick))).toBe(true);

    bob.client.say(channel, 'hi back over tls');
    const event = await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find(
          (e: RoomEvent) =>
            e.sender === ghost &&
            e.type === 'm.room.message' &&
            e.content.body === 'hi back over tls',
        ),
      20_000,
      'the ghost message',
    );
    expect(event.content.msgtype).toBe('m.text');
  });

  it('without a CA: refuses the self-signed certificate and tells the sender why', async () => {
    // The room is made even though the bot cannot connect; alice's message needs her own connection.
    const noca = await joinChannelRoom(alice, channel, 'noca');
    const eventId = await send(noca, { msgtype: 'm.text', body: 'hello untrusted' });
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, noca)).find(
          (e: RoomEvent) =>
            e.sender === BOT &&
            e.content.msgtype === 'm.notice' &&
            (
              e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined
            )?.['m.in_reply_to']?.event_id === eventId,
        ),
      30_000,
      'the "not delivered" notice',
    );
    expect(String(notice.content.body)).toBe(
      `⚠️ Not delivered to IRC: could not connect to IRC at 127.0.0.1:${tlsPeer().port}: the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate).`,
    );
    // Neither the untrusted network's bot nor alice's connection there reached the server.
    const names = (await bob.names(channel)).map((n) => n.toLowerCase());
    expect(names).toContain(`sbt${suffix}`);
    expect(names).not.toContain(`sbn${suffix}`);
    expect(bob.heard.some((e) => e.message === 'hello untrusted')).toBe(false);
  });
});
