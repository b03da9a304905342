// The ident server of a running bridge (ident.enabled, on a high port), through Synapse and the
// test InspIRCd: a Matrix user who speaks gets an IRC connection with a username of their own,
// and real RFC 1413 queries about every TCP connection to the IRC server (found in
// /proc/net/tcp) get that username for theirs, the bot's for the bot's, and NO-USER for a
// connection that is not the bridge's. (InspIRCd's own ident lookups go to port 113 only: see
// irc-namespace.test.ts, which runs them in a network namespace.)
import { randomBytes } from 'node:crypto';
import { freePort } from '../support/free-port.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { identUsername } from '../../bridges/irc/ident/usernames.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { sendText, startBridge } from '../support/bridge-harness.js';
import { clientPortsTo, identQuery } from '../support/ident.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC ident server in the running bridge (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#ident${suffix}`;
  let bridge: Switchboard | undefined;
  let carol: TestUser;
  let dave: IrcUser;
  let identPort: number;

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    dave = await ircUser(`Dave${suffix}`, channel);
    identPort = await freePort();
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          ident: { enabled: true, port: identPort, address: '127.0.0.1' },
          networks: {
            test: { host: '127.0.0.1', port: ircPort(), tls: false, bot_nick: `sbi${suffix}` },
          },
        },
      },
    });
  });

  afterAll(async () => {
    dave?.client.quit('bye');
    await bridge?.stop();
  });

  it("answers each of the bridge's connections with its username, and nothing else", async () => {
    const roomId = await joinChannelRoom(carol, channel);
    await sendText(carol, roomId, 'hello from matrix');
    const heard = await waitFor(
      () => dave.heard.find((h) => h.message === 'hello from matrix'),
      20_000,
      "carol's line on IRC",
    );
    const username = identUsername(carol.userId);
    expect(heard.ident).toBe(username); // the connection's USER name is the per-user one too

    const answers = await Promise.all(
      clientPortsTo(ircPort()).map((p) => identQuery(identPort, `${p}, ${ircPort()}`)),
    );
    const said = answers.map((a) => a.split(' : ').slice(1).join(' : '));
    expect(said).toContain(`USERID : UNIX : ${username}`);
    expect(said).toContain('USERID : UNIX : switchboard');
    expect(said).toContain('ERROR : NO-USER'); // Dave's connection (and any other not ours)
    expect(said.filter((s) => s === `USERID : UNIX : ${username}`)).toHaveLength(1);

    // Stopped with the bridge.
    await bridge!.stop();
    bridge = undefined;
    await expect(identQuery(identPort, '1, 2')).rejects.toThrow(/ECONNREFUSED/);
  });
});
