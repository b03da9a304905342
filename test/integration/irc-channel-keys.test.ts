// Channel keys at rest, against real InspIRCd and Synapse: a key given with `irc join … <key>` is
// sealed in the database, so after a restart the bot and a Matrix user's connection join the +k
// channel with it again, and the database files never hold the key in the clear. A key an older
// version stored in the clear is sealed at start, still used, and gone from the files.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, sendText } from '../support/bridge-harness.js';
import { command, openManagementRoom } from '../support/management-room.js';
import {
  defaultPuppetNick,
  flat,
  heardFrom,
  ircUser,
  startIrcBridge,
  type IrcUser,
} from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC channel keys sealed in the database (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#keyrest${suffix}`;
  const key = `sealed-${suffix}`;
  const folder = mkdtempSync(join(tmpdir(), 'sb-keys-'));
  const database = join(folder, 'switchboard.db');
  const network = { bot_nick: `sbk${suffix}` };
  let bridge: Switchboard | undefined;
  let carol: TestUser;
  let kira: IrcUser;
  let roomId: string;

  /** The database and its log (WAL) as they are on disk now. */
  const databaseFiles = () =>
    Buffer.concat(
      readdirSync(folder)
        .filter((f) => f.startsWith('switchboard.db'))
        .map((f) => readFileSync(join(folder, f))),
    );
  const botIn = async () => (await kira.names(channel)).includes(network.bot_nick);
  /** Stops the bridge and waits until its bot has left the channel. */
  const stop = async () => {
    await bridge!.stop();
    bridge = undefined;
    await waitFor(async () => !(await botIn()), 20_000, 'the bot out of the channel');
  };
  const setKey = async (from: string | undefined, to: string) => {
    if (from) kira.client.raw(`MODE ${channel} -k ${from}`);
    kira.client.raw(`MODE ${channel} +k ${to}`);
    await waitFor(
      () => kira.raw.find((l) => / MODE /.test(l) && flat(l).includes(`+k ${to}`)),
      10_000,
      `+k on ${channel}`,
    );
  };

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    kira = await ircUser(`Kira${suffix}`, channel); // first in: channel operator
    await setKey(undefined, key);
    bridge = await startIrcBridge(network, undefined, { database });
  }, 60_000);

  afterAll(async () => {
    kira?.client.quit('bye');
    await bridge?.stop();
  });

  it('a key from `irc join` is used again after a restart and is never in the database in the clear', async () => {
    const dm = await openManagementRoom(carol);
    const answer = (await command(carol, dm, `irc join test ${channel} ${key}`)).answer;
    roomId = /bridged to (!\S+) /.exec(answer)?.[1] ?? '';
    expect(roomId, answer).not.toBe('');
    // The command's event held the key: redacted, so core's inbox keeps no copy either.
    expect(answer).toMatch(/I redacted your message, since it held the channel's key\.$/);
    await waitFor(botIn, 30_000, `the bot in ${channel}`);
    await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    const puppet = defaultPuppetNick(carol.userId);
    await sendText(carol, roomId, 'before the restart');
    await heardFrom(kira, puppet, 'before the restart', 30_000);

    await stop();
    bridge = await startIrcBridge(network, undefined, { database });
    await waitFor(botIn, 30_000, `the bot back in ${channel} with the stored key`);
    await sendText(carol, roomId, 'after the restart');
    await heardFrom(kira, puppet, 'after the restart', 30_000);
    expect(databaseFiles().includes(key)).toBe(false);
  }, 150_000);

  it('a key an older version stored in the clear is sealed at start and still used', async () => {
    expect(roomId, 'the first test bridged the channel').toBeTruthy();
    const plainKey = `plain-${suffix}`;
    await stop();
    await setKey(key, plainKey);
    // The database as an older version left it: the key in the clear, nothing sealed.
    const db = new Database(database);
    db.prepare(`delete from kv where namespace = 'bridge:irc' and key like 'channel-keys%'`).run();
    db.prepare(`insert into kv (namespace, key, value) values ('bridge:irc', ?, ?)`).run(
      'channel-keys:test',
      JSON.stringify({ [channel]: plainKey }),
    );
    db.close();
    expect(databaseFiles().includes(plainKey)).toBe(true);

    bridge = await startIrcBridge(network, undefined, { database });
    await waitFor(botIn, 30_000, `the bot back in ${channel} with the migrated key`);
    // Deleted at start: out of the database file at the next checkpoint (every second). Frames of
    // the log written before the delete still hold it until they are overwritten or the bridge stops.
    const mainFile = () => readFileSync(database);
    await waitFor(() => !mainFile().includes(plainKey), 10_000, 'the plain key out of the file');
    await stop();
    expect(databaseFiles().includes(plainKey)).toBe(false);
  }, 120_000);
});
