// SIGTERM drains: `switchboard start` stops taking transactions, finishes what it acknowledged
// (here a slow echo network is still working on a message), records it, and exits 0.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, roomEvents, joinAlias } from '../support/bridge-harness.js';
import { startChildBridge, type ChildBridge } from '../support/child-bridge.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('SIGTERM', () => {
  let child: ChildBridge;
  let alice: TestUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    child = await startChildBridge({ bridges: { echo: { enabled: true, delay_ms: 1500 } } });
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('drain').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
  });

  afterAll(() => child?.kill());

  it('finishes acknowledged work before it exits', { timeout: 60_000 }, async () => {
    const body = `said just before SIGTERM ${randomBytes(6).toString('hex')}`;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/d${randomBytes(6).toString('hex')}`;
    const { event_id: eventId } = await asUser<{ event_id: string }>(alice, 'PUT', path, {
      msgtype: 'm.text',
      body,
    });
    await waitFor(() => child.inboxState(eventId), 20_000, `${eventId} in the bridge's inbox`);

    process.kill(child.proc.pid!, 'SIGTERM');
    await child.exited;
    expect(child.proc.exitCode, child.log()).toBe(0);

    expect(child.inboxState(eventId)).toBe('done');
    const echoes = (await roomEvents(alice, roomId)).filter(
      (e) => e.sender === '@echo_echo:localhost' && e.content.body === body,
    );
    expect(echoes).toHaveLength(1);
  });
});
