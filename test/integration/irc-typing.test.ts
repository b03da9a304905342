// Typing in IRC channel rooms, against real InspIRCd and Synapse: a Matrix user typing is IRCv3
// +typing (TAGMSG) from their puppet, and an IRC user's +typing shows their ghost typing.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, it } from 'vitest';
import { asUser } from '../support/bridge-harness.js';
import { ircUser } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge: typing (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scope = ircScope();
  let carol: TestUser;
  let puppetNick: string;

  beforeAll(async () => {
    ({ user: carol, puppetNick } = await scope.bridgeAndMatrixUser('carol'));
  }, 120_000);

  it('typing crosses both ways as IRCv3 +typing', async () => {
    const typeChannel = `#type${suffix}`;
    const gina = await ircUser(`Gina${suffix}`, typeChannel);
    try {
      const roomId = await joinChannelRoom(carol, typeChannel);
      const room = encodeURIComponent(roomId);
      await waitFor(
        async () => (await gina.names(typeChannel)).includes(puppetNick),
        30_000,
        `${puppetNick} in ${typeChannel}`,
      );
      const typing = (on: boolean) =>
        asUser(
          carol,
          'PUT',
          `/_matrix/client/v3/rooms/${room}/typing/${encodeURIComponent(carol.userId)}`,
          {
            typing: on,
            ...(on ? { timeout: 30_000 } : {}),
          },
        );
      const tagLine = (state: string) =>
        gina.raw.find(
          (l) =>
            l.includes(`+typing=${state}`) && l.includes(`:${puppetNick}!`) && / TAGMSG /.test(l),
        );
      await typing(true);
      await waitFor(() => tagLine('active'), 20_000, 'Carol typing on IRC');
      await typing(false);
      await waitFor(() => tagLine('done'), 20_000, 'Carol done typing on IRC');

      const ghost = `@irc_test_gina${suffix}:localhost`;
      // Typing is ephemeral: it shows in incremental syncs, which start where the last one ended.
      type Sync = {
        next_batch: string;
        rooms?: {
          join?: Record<
            string,
            { ephemeral?: { events?: { type: string; content: { user_ids?: string[] } }[] } }
          >;
        };
      };
      let since = (await asUser<Sync>(carol, 'GET', '/_matrix/client/v3/sync?timeout=0'))
        .next_batch;
      let typingNow: string[] = [];
      const typingInRoom = async () => {
        const sync = await asUser<Sync>(
          carol,
          'GET',
          `/_matrix/client/v3/sync?timeout=2000&since=${encodeURIComponent(since)}`,
        );
        since = sync.next_batch;
        const events = sync.rooms?.join?.[roomId]?.ephemeral?.events ?? [];
        const latest = events.filter((e) => e.type === 'm.typing').at(-1);
        if (latest) typingNow = latest.content.user_ids ?? [];
        return typingNow;
      };
      gina.client.raw(`@+typing=active TAGMSG ${typeChannel}`);
      await waitFor(
        async () => (await typingInRoom()).includes(ghost),
        30_000,
        `${ghost} typing in the room`,
      );
      gina.client.raw(`@+typing=done TAGMSG ${typeChannel}`);
      await waitFor(
        async () => !(await typingInRoom()).includes(ghost),
        30_000,
        `${ghost} no longer typing`,
      );
    } finally {
      gina.client.quit();
    }
  }, 120_000);
});
