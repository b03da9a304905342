// kill -9 between acknowledgement and processing: the bridge runs as a child process (the real
// `switchboard start`), stores alice's message in its inbox and answers Synapse 200, then dies
// before the (slow) echo network has handled it. Synapse never sends that transaction again (it
// got its 200), so only the bridge's inbox replay can deliver it: after a restart on the same
// database the echo appears, exactly once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  roomEvents,
  startBridge,
  type RoomEvent,
  joinAlias,
  replyTarget,
  sendText,
} from '../support/bridge-harness.js';
import { startChildBridge, type ChildBridge } from '../support/child-bridge.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const unique = () => randomBytes(6).toString('hex');

/** The echo ghost's messages saying `body` (each test message has a unique body). */
const echoesIn = (events: RoomEvent[], body: string) =>
  events.filter(
    (e) => e.sender === ECHO_GHOST && e.type === 'm.room.message' && e.content.body === body,
  );

describe('kill -9 between acknowledgement and processing', () => {
  let child: ChildBridge;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;

  const send = (body: string) => sendText(alice, roomId, body);
  const echoesOf = async (body: string) => echoesIn(await roomEvents(alice, roomId), body);

  beforeAll(async () => {
    requireSynapse();
    child = await startChildBridge({ bridges: { echo: { enabled: true, delay_ms: 4000 } } });
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('crash').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
  });

  afterAll(async () => {
    await child?.kill();
    await bridge?.stop();
  });

  it(
    'replays the acknowledged event after a kill -9 and echoes it exactly once',
    { timeout: 120_000 },
    async () => {
      const proc = child.proc;
      const body = `said just before the crash ${unique()}`;
      const eventId = await send(body);

      // Stored in the inbox means acknowledged: the bridge answers 200 only after the write.
      await waitFor(
        () => child.inboxState(eventId),
        20_000,
        `${eventId} in the bridge's inbox`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- bridge log ---\n${child.log()}`);
      });
      process.kill(proc.pid!, 'SIGKILL');
      await child.exited;
      expect(proc.signalCode).toBe('SIGKILL');

      // The echo network was still "thinking" (delay_ms 4000): nothing was finished, nothing echoed.
      expect(child.inboxState(eventId)).toBe('pending');
      expect(await echoesOf(body)).toHaveLength(0);

      // Same database, no delay this time.
      bridge = await startBridge({ database: child.dbPath });
      const echo = await waitFor(
        async () => (await echoesOf(body))[0],
        60_000,
        'the replayed echo',
      );
      expect(replyTarget(echo)).toBe(eventId);

      // A further round trip: everything before it in the room is handled by then, and the replayed echo stayed single.
      const laterBody = `after the restart ${unique()}`;
      const later = await send(laterBody);
      const laterEcho = await waitFor(
        async () => (await echoesOf(laterBody))[0],
        60_000,
        'the echo of the message after the restart',
      );
      expect(replyTarget(laterEcho)).toBe(later);
      const events = await roomEvents(alice, roomId);
      expect(echoesIn(events, body)).toHaveLength(1);
      expect(echoesIn(events, laterBody)).toHaveLength(1);
      expect(
        events.filter((e) => e.sender === ECHO_GHOST && replyTarget(e) === eventId),
      ).toHaveLength(1);
      await waitFor(
        async () => (await bridge!.store.inbox.pending()).every((row) => row.eventId !== eventId),
        10_000,
        'the replayed event to be finished',
      );
    },
  );
});
