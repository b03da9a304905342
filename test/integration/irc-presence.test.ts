// IRC away status → the presence of the IRC user's ghost, against real InspIRCd (away-notify, from
// its ircv3 module) and Synapse: a Matrix user in the bridged room sees the ghost go `unavailable`
// with the away message as status, and `online` again when back; a user who quits while away
// does not leave their ghost showing the old away message; a user away before the channel was
// bridged shows away once it is.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser } from '../support/bridge-harness.js';
import { ircUser, startIrcBridge, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

type Presence = { presence: string; status_msg?: string };
type Sync = {
  next_batch: string;
  presence?: { events?: { type: string; sender: string; content: Presence }[] };
};

describe('IRC bridge: away status → ghost presence (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#presence${suffix}`;
  let bridge: Switchboard;
  let carol: TestUser;
  let roomId: string;
  const irc: IrcUser[] = [];

  const ghostOf = (nick: string) => `@irc_test_${nick.toLowerCase()}:localhost`;
  const inRoom = async (userId: string) => {
    const { joined } = await asUser<{ joined: Record<string, unknown> }>(
      carol,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
    );
    return userId in joined;
  };

  /**
   * Every presence Carol's client is sent, from incremental syncs: Synapse lets a presence set
   * without syncing fall to offline after a while, so the test looks for the update it was sent,
   * not at the presence it has at some moment.
   */
  let since = '';
  const seen: { sender: string; content: Presence }[] = [];
  const sync = async () => {
    const res = await asUser<Sync>(
      carol,
      'GET',
      `/_matrix/client/v3/sync?timeout=2000&since=${encodeURIComponent(since)}`,
    );
    since = res.next_batch;
    for (const e of res.presence?.events ?? [])
      if (e.type === 'm.presence') seen.push({ sender: e.sender, content: e.content });
  };
  const waitForPresence = (ghost: string, want: Presence) =>
    waitFor(
      async () => {
        await sync();
        return seen.find(
          (e) =>
            e.sender === ghost &&
            e.content.presence === want.presence &&
            e.content.status_msg === want.status_msg,
        );
      },
      30_000,
      `Carol sees ${ghost} ${want.presence}${want.status_msg ? ` (${want.status_msg})` : ''}`,
    );

  beforeAll(async () => {
    requireSynapse();
    bridge = await startIrcBridge();
    carol = await registerUser(uniqueLocalpart('carol'));
    roomId = await joinChannelRoom(carol, channel);
    since = (await asUser<Sync>(carol, 'GET', '/_matrix/client/v3/sync?timeout=0')).next_batch;
  }, 120_000);

  afterAll(async () => {
    for (const user of irc) user.client.quit();
    await bridge?.stop();
  });

  it('AWAY :lunch shows the ghost unavailable with "lunch" as status; AWAY alone, online again', async () => {
    const nick = `Hana${suffix}`;
    const hana = await ircUser(nick, channel);
    irc.push(hana);
    const ghost = ghostOf(nick);
    await waitFor(() => inRoom(ghost), 30_000, `${ghost} in the room`);

    hana.client.raw('AWAY :lunch');
    await waitForPresence(ghost, { presence: 'unavailable', status_msg: 'lunch' });
    hana.client.raw('AWAY');
    const back = await waitForPresence(ghost, { presence: 'online' });
    expect(back.content.status_msg).toBeUndefined();
  }, 90_000);

  it('a user already away when joining is shown away; quitting sets their ghost offline, the away message gone', async () => {
    const nick = `Ivan${suffix}`;
    const ivan = await ircUser(nick, `#elsewhere${suffix}`);
    irc.push(ivan);
    ivan.client.raw('AWAY :on holiday');
    await waitFor(() => ivan.raw.find((l) => / 306 /.test(l)), 10_000, 'RPL_NOWAWAY');
    // InspIRCd sends the AWAY of a user who joins while away right after the JOIN (away-notify).
    ivan.client.join(channel);
    const ghost = ghostOf(nick);
    await waitForPresence(ghost, { presence: 'unavailable', status_msg: 'on holiday' });

    ivan.client.quit('bye');
    await waitFor(async () => !(await inRoom(ghost)), 30_000, `${ghost} out of the room`);
    // Carol shares no room with the ghost any more, so she is not told: ask as the ghost itself
    // (the appservice may). Without the bridge's `offline`, Synapse would keep "on holiday".
    const asGhost = { accessToken: testRegistration().as_token };
    const path = `/_matrix/client/v3/presence/${encodeURIComponent(ghost)}/status?user_id=${encodeURIComponent(ghost)}`;
    await waitFor(
      async () => {
        const now = await asUser<Presence>(asGhost, 'GET', path);
        return now.presence === 'offline' && now.status_msg === undefined;
      },
      30_000,
      `${ghost} offline without a status`,
    );
  }, 90_000);

  it('a user away in a channel before it is bridged is shown away once it is (WHO at the join)', async () => {
    const quiet = `#awaybefore${suffix}`;
    const nick = `Jun${suffix}`;
    const jun = await ircUser(nick, quiet);
    irc.push(jun);
    jun.client.raw('AWAY :asleep');
    await waitFor(() => jun.raw.find((l) => / 306 /.test(l)), 10_000, 'RPL_NOWAWAY');
    await joinChannelRoom(carol, quiet);
    // WHO tells away from here, not the message: away without a status.
    await waitForPresence(ghostOf(nick), { presence: 'unavailable' });
  }, 90_000);
});
