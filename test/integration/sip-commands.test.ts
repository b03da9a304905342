// `sip call <number>` through real Synapse: the bot opens the user's direct chat with the number's
// ghost (the user is invited, the ghost is in it, and a second `sip call` finds the same room); a
// destination the dial plan refuses, or one that is no number, gets an answer and no room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents } from '../support/bridge-harness.js';
import { joinInvitedRoom, startSipBridge } from '../support/sip-phone.js';
import { BOT, command as typed, openManagementRoom } from '../support/management-room.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

let sb: Switchboard;
let user: TestUser;
let mgmt: string;

/** Types a command to the bot; returns the bot's first notice after it. */
const command = async (text: string) => (await typed(user, mgmt, text)).answer;

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('sipcmd'));
  ({ sb } = await startSipBridge({ users: [user.userId] }));
  mgmt = await openManagementRoom(user);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('sip call', () => {
  it("opens the user's direct chat with the number's ghost, and finds it again the next time", async () => {
    const answer = await command('sip call +1 (555) 012-3456');
    expect(answer).toContain('+15550123456');
    expect(answer).toContain('ready');
    const room = await joinInvitedRoom(user, 20_000, new Set([mgmt]));
    const ghost = '@sip_=2b15550123456:localhost';
    const members = await waitFor(
      async () => {
        const joined = (await roomEvents(user, room, 50)).filter(
          (e) => e.type === 'm.room.member' && e.content.membership === 'join',
        );
        return joined.some((e) => e.state_key === ghost) ? joined : undefined;
      },
      20_000,
      'the ghost in the room',
    );
    // The bridge bot (which made the room, as for every portal), the number's ghost, the user.
    expect(members.map((e) => e.state_key).sort()).toEqual([BOT, ghost, user.userId].sort());
    // Again: the same room (no second invite), the same answer.
    expect(await command('sip call +15550123456')).toContain('ready');
    const rooms = await asUser<{ joined_rooms: string[] }>(
      user,
      'GET',
      '/_matrix/client/v3/joined_rooms',
    );
    expect(rooms.joined_rooms.filter((r) => r !== mgmt)).toEqual([room]);
  });

  it('refuses what the dial plan refuses, and what is no number or address', async () => {
    expect(await command('sip call +19005550100')).toMatch(/Cannot reach \+19005550100: /);
    expect(await command('sip call hello')).toMatch(/not a phone number/);
    expect(await command('sip call')).toMatch(/Usage/);
  });
});
