// A Matrix user's management room (a direct chat with the bridge bot) and the commands typed in
// it, as integration tests use them.
import { asUser, roomEvents, sendText } from './bridge-harness.js';
import { waitFor, type TestUser } from './synapse.js';

/** The bridge bot of the test registration. */
export const BOT = '@switchboard:localhost';

/** Opens a direct chat with the bridge bot and waits for its greeting; returns the room's id. */
export async function openManagementRoom(user: TestUser): Promise<string> {
  const { room_id } = await asUser<{ room_id: string }>(
    user,
    'POST',
    '/_matrix/client/v3/createRoom',
    // trusted_private_chat: the bot may redact in it (a login's password).
    { is_direct: true, invite: [BOT], preset: 'trusted_private_chat' },
  );
  await waitFor(
    async () =>
      (await roomEvents(user, room_id)).some(
        (e) => e.sender === BOT && e.content.msgtype === 'm.notice',
      ),
    15_000,
    'the bot to greet the user',
  );
  return room_id;
}

/**
 * Types `text` in the management room `room`; returns its event id and the bot's first notice
 * after it. The wait names only the command's first two words (a login's password stays out of
 * failure messages).
 */
export async function command(
  user: TestUser,
  room: string,
  text: string,
  timeoutMs = 30_000,
): Promise<{ eventId: string; answer: string }> {
  const eventId = await sendText(user, room, text);
  const reply = await waitFor(
    async () => {
      const events = await roomEvents(user, room);
      const at = events.findIndex((e) => e.event_id === eventId);
      return at < 0
        ? undefined
        : events.slice(at + 1).find((e) => e.sender === BOT && e.content.msgtype === 'm.notice');
    },
    timeoutMs,
    `the bot's answer to "${text.split(' ').slice(0, 2).join(' ')}${text.split(' ').length > 2 ? ' …' : ''}"`,
  );
  return { eventId, answer: String(reply.content.body) };
}
