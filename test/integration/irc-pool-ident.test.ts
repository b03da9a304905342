// Ident with the connection pool (`pool.redis` and `ident.enabled`), against real Redis, InspIRCd
// and Synapse: the pool process holds the sockets, so `switchboard irc-pool` answers the RFC 1413
// queries (the bridge starts no ident server of its own: here both would want the same port). A
// Matrix user who speaks gets a puppet in the pool with a username of their own, and real queries
// about every TCP connection to the IRC server (found in /proc/net/tcp) get that username for
// theirs, the bot's for the bot's, and NO-USER for a connection that is not the bridge's.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { identUsername } from '../../bridges/irc/ident/usernames.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { sendText, startBridge } from '../support/bridge-harness.js';
import { clientPortsTo, identQuery } from '../support/ident.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import { freePort, redisUrl, startPoolProcess, type PoolProcess } from '../support/irc-pool.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC ident with the connection pool: the pool answers (Redis + InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#pident${suffix}`;
  const prefix = `sbtest:ident${suffix}`;
  let pool: PoolProcess | undefined;
  let bridge: Switchboard | undefined;
  let carol: TestUser;
  let dave: IrcUser;
  let ident: { enabled: boolean; port: number; address: string };

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    dave = await ircUser(`Dave${suffix}`, channel);
    ident = { enabled: true, port: await freePort(), address: '127.0.0.1' };
    pool = await startPoolProcess({ redis: redisUrl(), prefix }, ident);
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          ident,
          pool: { redis: redisUrl(), prefix, http_port: 0 },
          networks: {
            test: { host: '127.0.0.1', port: ircPort(), tls: false, bot_nick: `sbpi${suffix}` },
          },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    dave?.client.quit('bye');
    await bridge?.stop();
    await pool?.stop();
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("answers each of the pool's connections with its username, and nothing else", async () => {
    const roomId = await joinChannelRoom(carol, channel);
    await sendText(carol, roomId, 'hello through the pool');
    const heard = await waitFor(
      () => dave.heard.find((h) => h.message === 'hello through the pool'),
      20_000,
      "carol's line on IRC",
    );
    const username = identUsername(carol.userId);
    expect(heard.ident).toBe(username); // the pool registered it with the per-user username

    const answers = await Promise.all(
      clientPortsTo(ircPort()).map((p) => identQuery(ident.port, `${p}, ${ircPort()}`)),
    );
    const said = answers.map((a) => a.split(' : ').slice(1).join(' : '));
    expect(said).toContain(`USERID : UNIX : ${username}`);
    expect(said).toContain('USERID : UNIX : switchboard');
    expect(said).toContain('ERROR : NO-USER'); // Dave's connection (and any other not ours)
    expect(said.filter((s) => s === `USERID : UNIX : ${username}`)).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${pool!.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_irc_pool_ident_answers_total\{answer="userid"\} [2-9]/);

    // A bridge restart leaves the pool (and its ident server) answering.
    await bridge!.stop();
    bridge = undefined;
    expect(await identQuery(ident.port, '1, 2')).toMatch(/ERROR : NO-USER/);
    // Stopped with the pool.
    expect(await pool!.stop()).toBe(0);
    pool = undefined;
    await expect(identQuery(ident.port, '1, 2')).rejects.toThrow(/ECONNREFUSED/);
  });
});
