// An IRC user's message Matrix refuses for good is told to them, against real InspIRCd and
// Synapse: the bridge bot (the room's creator) lets no one below 100 send messages in a channel's
// room; the IRC user's next lines do not reach Matrix, and the bridge bot sends them one short
// NOTICE saying so (with Matrix's reason, without their text), not one per refused line.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { roomEvents } from '../support/bridge-harness.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import type { IrcUser } from '../support/irc-user.js';
import { setEventLevel } from '../support/room-levels.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC: a message Matrix refuses is told to its sender (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#mxrefuse${suffix}`;
  const botNick = `sbm${suffix}`;
  const scope = ircScope();
  let alice: TestUser;
  let ivy: IrcUser;
  let roomId: string;
  let bridge: Switchboard;

  const inMatrix = async (body: string) =>
    (await roomEvents(alice, roomId)).some((e) => e.content.body === body);
  const noticesFromBot = () => ivy.heard.filter((e) => e.type === 'notice' && e.nick === botNick);
  const forbiddenToMatrix = async () =>
    (await bridge.metrics.failures.get()).values
      .filter((v) => v.labels.direction === 'to_matrix' && v.labels.reason === 'M_FORBIDDEN')
      .reduce((sum, v) => sum + v.value, 0);

  beforeAll(async () => {
    requireSynapse();
    bridge = await scope.bridge({ bot_nick: botNick });
    alice = await registerUser(uniqueLocalpart('alice'));
    roomId = await joinChannelRoom(alice, channel);
    ivy = await scope.user(`Ivy${suffix}`, channel);
  });

  it('one NOTICE from the bridge for a refused flood; nothing of it in Matrix; then it flows again', async () => {
    ivy.client.say(channel, `allowed ${suffix}`);
    await waitFor(() => inMatrix(`allowed ${suffix}`), 20_000, 'the first line in Matrix');
    await setEventLevel(roomId, 'm.room.message', 100);
    for (let i = 0; i < 4; i++) ivy.client.say(channel, `refused ${i} ${suffix}`);
    const notice = await waitFor(() => noticesFromBot()[0], 20_000, 'the NOTICE from the bridge');
    expect(notice.target).toBe(ivy.client.user.nick);
    expect(notice.message).toMatch(
      new RegExp(`^Your message to ${channel} was not delivered to Matrix: .*M_FORBIDDEN`),
    );
    expect(notice.message).not.toContain('refused 0');
    // Every refused line refused (M_FORBIDDEN is given up at once) before Ivy may speak again.
    // An empty outbox is not enough: InspIRCd's flood penalty may hold the later lines back, so
    // the outbox can be empty between two of them. What /metrics counts is.
    await waitFor(
      async () =>
        (await forbiddenToMatrix()) >= 4 && (await bridge.store.outbox.pending()).length === 0,
      30_000,
      'the four refused lines given up',
    );
    await setEventLevel(roomId, 'm.room.message', undefined);
    ivy.client.say(channel, `after ${suffix}`);
    await waitFor(() => inMatrix(`after ${suffix}`), 20_000, 'the line after in Matrix');
    // The NOTICEs of the refused lines, had there been more, were queued on the bot's
    // connection before that line was sent: a second's wait lets them arrive.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(noticesFromBot(), 'one NOTICE for the four refused lines').toHaveLength(1);
    const bodies = (await roomEvents(alice, roomId)).map((e) => String(e.content.body));
    expect(bodies.filter((b) => b.startsWith('refused'))).toEqual([]);
  });
});
