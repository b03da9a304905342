// The management room: alice opens a direct chat with the bridge bot and types commands; the bot
// answers with notices. Core's commands (help, bridges, link, portals, unlink) and a bridge's own
// (`echo stats`), with the power-level rule for linking and the admin-only listing. Real Synapse,
// what alice (a user) and carol (a bridge admin) see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, startBridge, type RoomEvent } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const BOT = '@switchboard:localhost';
const ECHO_GHOST = '@echo_echo:localhost';

describe('the management room', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  let carolsDm: string;
  let txn = 0;
  const key = uniqueLocalpart('mine').replace('_', '-');

  const createRoom = async (user: TestUser, body: Record<string, unknown>) =>
    (await asUser<{ room_id: string }>(user, 'POST', '/_matrix/client/v3/createRoom', body))
      .room_id;
  const say = async (roomId: string, body: string, user = alice) =>
    (
      await asUser<{ event_id: string }>(
        user,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/c${Date.now()}.${++txn}`,
        { msgtype: 'm.text', body },
      )
    ).event_id;
  const botJoined = (roomId: string) =>
    waitFor(
      async () =>
        (await roomEvents(alice, roomId)).some(
          (e) =>
            e.type === 'm.room.member' && e.state_key === BOT && e.content.membership === 'join',
        ),
      15_000,
      `the bot to join ${roomId}`,
    );
  /** Types a command and returns the body of the bot's first notice after it (commands are answered in order). */
  const command = async (text: string, user = alice, room = dm): Promise<string> => {
    const eventId = await say(room, text, user);
    const reply = await waitFor(
      async () => {
        const events = await roomEvents(user, room);
        const after = events.slice(events.findIndex((e) => e.event_id === eventId) + 1);
        return events.some((e) => e.event_id === eventId)
          ? after.find((e: RoomEvent) => e.sender === BOT && e.content.msgtype === 'm.notice')
          : undefined;
      },
      15_000,
      `the bot's answer to "${text}"`,
    );
    return String(reply.content.body);
  };

  beforeAll(async () => {
    requireSynapse();
    const carolLocalpart = uniqueLocalpart('carol');
    bridge = await startBridge({
      bridges: { echo: { enabled: true }, echo2: { enabled: true } },
      admins: [`@${carolLocalpart}:localhost`],
    });
    alice = await registerUser(uniqueLocalpart('alice'));
    bob = await registerUser(uniqueLocalpart('bob'));
    carol = await registerUser(carolLocalpart);
    dm = await createRoom(alice, {
      is_direct: true,
      invite: [BOT],
      preset: 'trusted_private_chat',
    });
    carolsDm = await createRoom(carol, {
      is_direct: true,
      invite: [BOT],
      preset: 'trusted_private_chat',
    });
    await waitFor(
      async () =>
        (await roomEvents(carol, carolsDm)).some(
          (e) => e.sender === BOT && e.content.msgtype === 'm.notice',
        ),
      15_000,
      'the bot to greet carol',
    );
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('the bot joins the direct chat and greets', async () => {
    await botJoined(dm);
    const greeting = await waitFor(
      async () =>
        (await roomEvents(alice, dm)).find(
          (e) => e.sender === BOT && e.content.msgtype === 'm.notice',
        ),
      15_000,
      'the greeting',
    );
    expect(greeting.content.body).toMatch(/bridge bot.*`help`/);
  });

  it('`help` lists the core commands and the echo bridge’s', async () => {
    const help = await command('help');
    for (const name of [
      'help',
      'bridges',
      'portals [bridge]',
      'link <bridge> <remote-id> <room-id>',
      'unlink <bridge> <remote-id>',
      'health <room-id>',
      'retry <event-id>',
      'status',
      'echo stats',
      'echo2 stats',
    ]) {
      expect(help).toContain(`\`${name}\``);
    }
  });

  it('`bridges` lists echo and echo2 running', async () => {
    const bridges = await command('bridges');
    expect(bridges).toContain('- echo (Echo): running');
    expect(bridges).toContain('- echo2 (Echo 2): running');
  });

  it('an unknown command answers with a hint', async () => {
    expect(await command('frobnicate now')).toBe(
      'Unknown command `frobnicate`. Type `help` for the list.',
    );
    expect(await command('echo frobnicate')).toBe(
      'Unknown command `echo frobnicate`. Type `help` for the list.',
    );
    expect(await command('link echo')).toBe('Usage: `link <bridge> <remote-id> <room-id>`');
  });

  it('`link` refuses a room where alice has power level 0, naming power level 50', async () => {
    const bobsRoom = await createRoom(bob, {
      preset: 'public_chat',
      name: 'Bob’s room',
      invite: [BOT, alice.userId],
    });
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(bobsRoom)}`, {});
    const answer = await command(`link echo bobs-room ${bobsRoom}`);
    expect(answer).toMatch(/^`link` failed: .*power level 50/);
    expect(answer).toContain('(you have 0)');
    expect(await command('portals echo', carol, carolsDm)).not.toContain(bobsRoom);
  });

  it('`link` of a remote id the bridge cannot serve is refused with its reason, and nothing is linked', async () => {
    const room = await createRoom(alice, {
      preset: 'private_chat',
      name: 'Alice’s other room',
      invite: [BOT],
    });
    await botJoined(room);
    const answer = await command(`link echo Not/A/Chat ${room}`);
    expect(answer).toMatch(
      /^`link` failed: echo cannot link `Not\/A\/Chat`: an echo chat is named by/,
    );
    expect(await command('portals echo', carol, carolsDm)).not.toContain(room);
    expect(await command('unlink echo Not/A/Chat')).toBe('echo Not/A/Chat was not linked.');
  });

  it('`link` links a room alice created; its messages are then echoed; `portals` lists it for an admin', async () => {
    const room = await createRoom(alice, {
      preset: 'private_chat',
      name: 'Alice’s room',
      invite: [BOT],
    });
    await botJoined(room);
    expect(await command(`link echo ${key} ${room}`)).toBe(`Linked ${room} to echo ${key}.`);
    expect(await command('portals')).toBe('`portals` is for bridge admins only.');
    expect(await command('portals', carol, carolsDm)).toContain(`- echo ${key} → ${room}`);

    await say(room, 'hello from a linked room');
    await waitFor(
      async () =>
        (await roomEvents(alice, room)).find(
          (e) => e.sender === ECHO_GHOST && e.content.body === 'hello from a linked room',
        ),
      15_000,
      'the echo in the linked room',
    );
    expect(await command('echo stats')).toBe('Heard 1 message, echoed 1.');
    expect(await command('echo2 stats')).toBe('Heard 0 messages, echoed 0.');

    expect(await command(`unlink echo ${key}`)).toBe(`Unlinked ${room} from echo ${key}.`);
    expect(await command('portals', carol, carolsDm)).not.toContain(key);
    expect(await command(`unlink echo ${key}`)).toBe(`echo ${key} was not linked.`);
  });
});
