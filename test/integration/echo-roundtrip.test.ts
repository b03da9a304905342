// A Matrix user talks in an echo portal through real Synapse and sees the echo come back:
// messages, formatting, replies, edits, reactions, redactions and the room's bridge state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  roomEvents,
  startBridge,
  type RoomEvent,
  joinAlias,
  sendAs,
} from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';

describe('echo round trip through Synapse', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  let roomId: string;

  const send = (content: Record<string, unknown>, type = 'm.room.message') =>
    sendAs(alice, roomId, content, type);
  const fromGhost = (predicate: (e: RoomEvent) => boolean, what: string) =>
    waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find((e) => e.sender === ECHO_GHOST && predicate(e)),
      15_000,
      what,
    );

  beforeAll(async () => {
    requireSynapse();
    bridge = await startBridge();
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('lobby').replace('_', '-')}:localhost`;
    // Joining an unknown alias in the bridge's namespace makes Synapse ask the bridge, which creates the room.
    roomId = await joinAlias(alice, alias);
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('creates the portal room with m.bridge state', async () => {
    const state = await asUser<{ type: string; content: { protocol?: { id: string } } }[]>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    );
    const bridgeState = state.find((e) => e.type === 'm.bridge');
    expect(bridgeState?.content.protocol?.id).toBe('echo');
    expect(state.some((e) => e.type === 'uk.half-shot.bridge')).toBe(true);
  });

  it('echoes a message as the echo ghost, as a reply to the original', async () => {
    const eventId = await send({ msgtype: 'm.text', body: 'hello bridge' });
    const echo = await fromGhost(
      (e) => e.content.body === 'hello bridge',
      'the echo of "hello bridge"',
    );
    expect(echo.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: eventId } });
  });

  it('keeps formatting and escapes what is not markup', async () => {
    await send({
      msgtype: 'm.text',
      body: 'bold <script>',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>bold</b> &lt;script&gt;',
    });
    const echo = await fromGhost((e) => e.content.body === 'bold <script>', 'the formatted echo');
    expect(echo.content.formatted_body).toMatch(/<(b|strong)>bold<\/(b|strong)> &lt;script&gt;/);
  });

  it('echoes edits, reactions and redactions onto the echo', async () => {
    const original = await send({ msgtype: 'm.text', body: 'typo hre' });
    const echo = await fromGhost((e) => e.content.body === 'typo hre', 'the echo to edit');

    await send({
      msgtype: 'm.text',
      body: '* typo here',
      'm.new_content': { msgtype: 'm.text', body: 'typo here' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    const edit = await fromGhost(
      (e) =>
        (e.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type === 'm.replace',
      'the echoed edit',
    );
    expect(edit.content['m.relates_to']).toEqual({
      rel_type: 'm.replace',
      event_id: echo.event_id,
    });
    expect((edit.content['m.new_content'] as { body: string }).body).toBe('typo here');

    await send(
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: original, key: '👍' } },
      'm.reaction',
    );
    const reaction = await fromGhost((e) => e.type === 'm.reaction', 'the echoed reaction');
    expect(reaction.content['m.relates_to']).toEqual({
      rel_type: 'm.annotation',
      event_id: echo.event_id,
      key: '👍',
    });

    await asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(original)}/r${Date.now()}`,
      {},
    );
    await waitFor(
      async () => {
        const events = await roomEvents(alice, roomId);
        return events.some(
          (e) =>
            e.type === 'm.room.redaction' &&
            e.sender === ECHO_GHOST &&
            ((e as { redacts?: string }).redacts ?? e.content.redacts) === echo.event_id,
        );
      },
      15_000,
      'the echo to be redacted',
    );
  });
});
