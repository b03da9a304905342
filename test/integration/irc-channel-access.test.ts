// Who may enter a channel's room, against real InspIRCd and Synapse: the room's join rule follows
// +i; keyed (+k) channels are joined with their key (from the config, or remembered by `irc join`);
// secret (+s) and invite-only (+i) channels get invite-only rooms, and `irc join` invites its user.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { asUser, sendText } from '../support/bridge-harness.js';
import { command, openManagementRoom } from '../support/management-room.js';
import { joinRule } from '../support/room-levels.js';
import { flat, ircUser, type IrcUser } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge: keyed, secret and invite-only channels (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scope = ircScope();
  let carol: TestUser;
  let puppetNick: string;
  const keyed = `#cfgkey${suffix}`;
  let kim: IrcUser;

  beforeAll(async () => {
    requireSynapse();
    // A +k channel in the config: the bot must join it with its key.
    kim = await scope.user(`Kim${suffix}`, keyed);
    kim.client.raw(`MODE ${keyed} +k cfg-secret`);
    await waitFor(() => kim.raw.find((l) => / MODE /.test(l) && /\+k/.test(l)), 10_000, '+k');
    ({ user: carol, puppetNick } = await scope.bridgeAndMatrixUser('carol', {
      channels: [{ name: keyed, key: 'cfg-secret' }],
    }));
  }, 120_000);

  it('the room follows the channel: +i makes it invite-only, -i open to anyone again', async () => {
    const shutChannel = `#shut${suffix}`;
    const oona = await ircUser(`Oona${suffix}`, shutChannel); // first in: channel operator
    const mode = async (change: string) => {
      oona.client.raw(`MODE ${shutChannel} ${change}`);
      await waitFor(
        () =>
          oona.raw.find(
            (l) => / MODE /.test(l) && flat(l).trimEnd().endsWith(`${shutChannel} ${change}`),
          ),
        10_000,
        `MODE ${change}`,
      );
    };
    try {
      const roomId = await joinChannelRoom(carol, shutChannel);
      expect(await joinRule(roomId)).toBe('public');
      await mode('+i');
      await waitFor(
        async () => (await joinRule(roomId)) === 'invite',
        20_000,
        'an invite-only room',
      );
      await mode('-i');
      await waitFor(async () => (await joinRule(roomId)) === 'public', 20_000, 'a public room');
    } finally {
      oona.client.quit();
    }
  });

  it('keyed (+k) channels: the bot joins one from the config with its key, and `irc join … <key>` remembers one for puppets', async () => {
    await waitFor(
      async () => (await kim.names(keyed)).includes('switchboard'),
      30_000,
      `the bot in ${keyed} (+k, key from the config)`,
    );

    const cmdKeyed = `#cmdkey${suffix}`;
    const kai = await ircUser(`Kai${suffix}`, cmdKeyed);
    try {
      kai.client.raw(`MODE ${cmdKeyed} +k cmd-secret`);
      await waitFor(() => kai.raw.find((l) => / MODE /.test(l) && /\+k/.test(l)), 10_000, '+k');
      const dm = await openManagementRoom(carol);
      expect((await command(carol, dm, `irc join test ${cmdKeyed} a,b`)).answer).toBe(
        'That key cannot be used: a channel key is 1 to 64 characters without spaces, commas, CR, LF or NUL.',
      );
      const answer = (await command(carol, dm, `irc join test ${cmdKeyed} cmd-secret`)).answer;
      const roomId = /bridged to (!\S+) /.exec(answer)?.[1];
      expect(roomId, answer).toBeDefined();
      await waitFor(
        async () => (await kai.names(cmdKeyed)).includes('switchboard'),
        30_000,
        `the bot in ${cmdKeyed}`,
      );
      // Carol's connection joins with the remembered key when she speaks.
      await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId!)}`, {});
      await sendText(carol, roomId!, 'through the key');
      await waitFor(
        () => kai.heard.find((e) => e.nick === puppetNick && e.message === 'through the key'),
        30_000,
        "Carol's message in the keyed channel",
      );
    } finally {
      kai.client.quit();
    }
  }, 120_000);

  it('secret (+s) and invite-only (+i) channels get invite-only rooms, and `irc join` invites its user', async () => {
    const secret = `#secret${suffix}`;
    const sam = await ircUser(`Sam${suffix}`, secret);
    try {
      sam.client.raw(`MODE ${secret} +s`);
      await waitFor(() => sam.raw.find((l) => / MODE /.test(l) && /\+s/.test(l)), 10_000, '+s');
      const dm = await openManagementRoom(carol);
      const answer = (await command(carol, dm, `irc join test ${secret}`)).answer;
      const roomId = /bridged to (!\S+) /.exec(answer)?.[1];
      expect(roomId, answer).toBeDefined();
      expect(await joinRule(roomId!)).toBe('invite');
      // Invited, Carol can join it.
      await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId!)}`, {});

      // An invite-only channel (+i) refuses the bot (473): its room is invite-only too.
      const closed = `#closed${suffix}`;
      sam.client.join(closed);
      await waitFor(
        () => sam.raw.find((l) => / JOIN /.test(l) && l.includes(closed)),
        10_000,
        'Sam in',
      );
      sam.client.raw(`MODE ${closed} +i`);
      await waitFor(() => sam.raw.find((l) => / MODE /.test(l) && /\+i/.test(l)), 10_000, '+i');
      const closedAnswer = (await command(carol, dm, `irc join test ${closed}`)).answer;
      const closedRoom = /bridged to (!\S+) /.exec(closedAnswer)?.[1];
      expect(closedRoom, closedAnswer).toBeDefined();
      expect(await joinRule(closedRoom!)).toBe('invite');
    } finally {
      sam.client.quit();
    }
  }, 120_000);
});
