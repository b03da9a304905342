// Catch-up after a bridge restart (and after a reconnect of the bot), against real InspIRCd (its chanhistory module) and Synapse: in a
// channel with history (+H), what was said while the bridge was down reaches the room once, in
// order, with its original time, and nothing bridged before (an IRC user's line, a Matrix user's
// own) is doubled; a +H channel where nobody spoke gets no notice; a channel without history gets
// the bot's notice that the bridge was away and what was said then is not available.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendText, type RoomEvent } from '../support/bridge-harness.js';
import { ircPort, ircUser, startIrcBridge, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC catch-up after a restart (InspIRCd chanhistory + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const kept = `#kept${suffix}`; // +H, spoken in while the bridge was down
  const quiet = `#quiet${suffix}`; // +H, nobody spoke meanwhile
  const lost = `#lost${suffix}`; // no history
  const database = join(mkdtempSync(join(tmpdir(), 'sb-catchup-')), 'switchboard.db');
  const network = { bot_nick: `sbc${suffix}`, catch_up: { away_notice_seconds: 0 } };
  let bridge: Switchboard | undefined;
  let carol: TestUser;
  const rooms: Record<string, string> = {};
  let dave: IrcUser;
  let finn: IrcUser;
  const bot = () => `@${testRegistration().sender_localpart}:${requireSynapse().serverName}`;

  const texts = (events: RoomEvent[]) =>
    events.filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));
  const say = async (channel: string, text: string) => {
    dave.client.say(channel, text);
    // The line is on the server once Dave's next command is answered (PING → PONG).
    await new Promise<void>((resolve) => {
      dave.client.once('pong', () => resolve());
      dave.client.raw('PING catch-up');
    });
  };

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    // Dave makes the channels (so he is their operator) and gives two of them history.
    dave = await ircUser(`Dave${suffix}`, kept);
    for (const c of [quiet, lost]) {
      const joined = new Promise<void>((r) => dave.client.once('join', () => r()));
      dave.client.join(c);
      await joined;
    }
    dave.client.raw(`MODE ${kept} +H 50:1d`);
    finn = await ircUser(`Finn${suffix}`, kept);
    dave.client.raw(`MODE ${quiet} +H 50:1d`);
    bridge = await startIrcBridge(network, undefined, { database });
    for (const c of [kept, quiet, lost]) rooms[c] = await joinChannelRoom(carol, c);
  });

  afterAll(async () => {
    dave?.client.quit('bye');
    finn?.client.quit('bye');
    await bridge?.stop();
  });

  it('bridges what was said while the bridge was down, once, in order, at its time; or says it is lost', async () => {
    await say(kept, 'before the restart');
    await waitFor(
      async () => texts(await roomEvents(carol, rooms[kept]!)).includes('before the restart'),
      20_000,
      'the first line in the room',
    );
    // Carol's own line goes to IRC through her puppet (and is in the channel's history).
    await sendText(carol, rooms[kept]!, 'carol before the restart');
    await waitFor(
      () => dave.heard.some((h) => h.message === 'carol before the restart'),
      20_000,
      "carol's line on IRC",
    );

    await bridge!.stop();
    bridge = undefined;
    const saidAt = Date.now();
    await say(kept, 'said while away 1');
    await say(kept, 'said while away 2');
    await say(lost, 'nobody will see this');
    // Finn speaks and leaves while the bridge is down: his line comes, his ghost does not stay.
    finn.client.say(kept, 'finn was here');
    const parted = new Promise<void>((r) => finn.client.once('part', () => r()));
    finn.client.part(kept, 'bye');
    await parted;
    await new Promise((r) => setTimeout(r, 1_100)); // the gap outlasts the lines' second

    bridge = await startIrcBridge(network, undefined, { database });
    const kept2 = await waitFor(
      async () => {
        const events = await roomEvents(carol, rooms[kept]!);
        return texts(events).includes('finn was here') ? events : undefined;
      },
      30_000,
      'the lines said meanwhile in the room',
    );
    const lostNotice = await waitFor(
      async () =>
        (await roomEvents(carol, rooms[lost]!)).find(
          (e) => e.sender === bot() && e.content['msgtype'] === 'm.notice',
        ),
      30_000,
      "the bot's notice in the room of the channel without history",
    );
    expect(String(lostNotice.content['body'])).toMatch(
      /^The bridge was away from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; what was said then is not available\.$/,
    );
    expect(texts(await roomEvents(carol, rooms[lost]!))).not.toContain('nobody will see this');

    // Once each, in order; the replayed lines keep the time they were said (whole seconds).
    const lines = texts(kept2);
    expect(lines.filter((t) => t === 'before the restart')).toHaveLength(1);
    expect(lines.filter((t) => t === 'carol before the restart')).toHaveLength(1);
    expect(lines.filter((t) => /said while away/.test(t))).toEqual([
      'said while away 1',
      'said while away 2',
    ]);
    expect(lines).toContain('finn was here');
    // His ghost left at the first NAMES (he was gone), joined to say the replayed line, and
    // leaves again after it.
    const finnGhost = `@irc_test_finn${suffix}:localhost`;
    await waitFor(
      async () => {
        const events = await roomEvents(carol, rooms[kept]!);
        const said = events.findIndex((e) => e.content['body'] === 'finn was here');
        const after = events
          .slice(said + 1)
          .filter((e) => e.type === 'm.room.member' && e.state_key === finnGhost);
        return said >= 0 && after.at(-1)?.content['membership'] === 'leave';
      },
      20_000,
      "Finn's ghost leaving after his replayed line",
    );
    const away1 = kept2.find((e) => e.content['body'] === 'said while away 1')!;
    expect(away1.sender).toBe(`@irc_test_dave${suffix}:localhost`);
    expect(away1.origin_server_ts).toBeGreaterThanOrEqual(saidAt - (saidAt % 1000));
    expect(away1.origin_server_ts).toBeLessThan(saidAt + 1_100);
    // History covered the gap: no notice there, nor in the +H channel where nobody spoke.
    await new Promise((r) => setTimeout(r, 4_000)); // past the wait for a replay
    for (const c of [kept, quiet])
      expect(
        (await roomEvents(carol, rooms[c]!)).filter((e) => e.content['msgtype'] === 'm.notice'),
      ).toEqual([]);
  });
});

// The same after the bot's connection dropped (the bridge kept running): it reconnects, rejoins,
// and the replay brings what was said meanwhile; a channel without history gets the notice.
describe('IRC catch-up after a reconnect (InspIRCd chanhistory + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const kept = `#rkept${suffix}`;
  const lost = `#rlost${suffix}`;
  let bridge: Switchboard | undefined;
  let gate: TcpGate;
  let carol: TestUser;
  let erin: IrcUser;
  const rooms: Record<string, string> = {};
  const bot = () => `@${testRegistration().sender_localpart}:${requireSynapse().serverName}`;
  const texts = (events: RoomEvent[]) =>
    events.filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    erin = await ircUser(`Erin${suffix}`, kept);
    const joined = new Promise<void>((r) => erin.client.once('join', () => r()));
    erin.client.join(lost);
    await joined;
    erin.client.raw(`MODE ${kept} +H 50:1d`);
    gate = await startTcpGate(ircPort());
    bridge = await startIrcBridge({
      port: gate.port,
      bot_nick: `sbd${suffix}`,
      catch_up: { away_notice_seconds: 0 },
    });
    for (const c of [kept, lost]) rooms[c] = await joinChannelRoom(carol, c);
  });

  afterAll(async () => {
    erin?.client.quit('bye');
    await bridge?.stop();
    await gate?.close();
  });

  it('bridges what was said while the bot was disconnected, or says it is lost', async () => {
    const botNick = `sbd${suffix}`;
    const names = async () => (await erin.names(kept)).map((n) => n.toLowerCase());
    await waitFor(async () => (await names()).includes(botNick), 20_000, 'the bot in the channel');
    gate.shut();
    await waitFor(async () => !(await names()).includes(botNick), 20_000, 'the bot gone');
    erin.client.say(kept, 'said while the bot was out');
    erin.client.say(lost, 'lost while the bot was out');
    await erin.names(kept); // both lines are on the server (answered after them)
    await new Promise((r) => setTimeout(r, 1_100));
    gate.open();
    await waitFor(
      async () =>
        texts(await roomEvents(carol, rooms[kept]!)).includes('said while the bot was out'),
      40_000,
      'the line said meanwhile in the room',
    );
    const notice = await waitFor(
      async () =>
        (await roomEvents(carol, rooms[lost]!)).find(
          (e) => e.sender === bot() && e.content['msgtype'] === 'm.notice',
        ),
      30_000,
      "the bot's notice in the room of the channel without history",
    );
    expect(String(notice.content['body'])).toMatch(/what was said then is not available\.$/);
    expect(texts(await roomEvents(carol, rooms[lost]!))).not.toContain(
      'lost while the bot was out',
    );
  });
});
