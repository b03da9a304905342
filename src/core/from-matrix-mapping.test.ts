// What core does with a message's mapping (a network that confirms later, the mapping's commit)
// and what it hands a connector for power levels.
import { describe, expect, it } from 'vitest';
import { event, ROOM, setup } from '../../test/support/deliver-recorder.js';
import { BridgeError } from '../connector.js';
import type { ClientEvent } from '../matrix/events.js';

describe('deliverToNetwork: a network that confirms later', () => {
  const text = (id: string) => event(id, '@bob:example.org', { msgtype: 'm.text', body: 'hi' });

  it('maps the message at once, and keeps it when the network takes it', async () => {
    const { connector, deliver, rows } = setup([]);
    connector.confirmNext = Promise.resolve();
    const { confirmed } = (await deliver(text('$a'))) ?? {};
    expect(rows.map((r) => r.eventId)).toContain('$a');
    await expect(confirmed).resolves.toBeUndefined();
    await deliver(text('$a')); // a replay: the network has it already
    expect(connector.messages).toHaveLength(1);
  });

  it('takes the mapping back when the network refuses, so that a retry sends it again', async () => {
    const { connector, deliver, rows } = setup([]);
    const refusal = new BridgeError('rejected', 'IRC refused the message: +m', true);
    connector.confirmNext = Promise.reject(refusal);
    const { confirmed } = (await deliver(text('$b'))) ?? {};
    await expect(confirmed).rejects.toBe(refusal);
    expect(rows.map((r) => r.eventId)).not.toContain('$b');
    await deliver(text('$b'));
    expect(connector.messages.map((m) => m.eventId)).toEqual(['$b', '$b']);
  });
});

describe("deliverToNetwork: the mapping's commit", () => {
  const text = (id: string) => event(id, '@bob:example.org', { msgtype: 'm.text', body: 'hi' });
  /** Everything queued as promise jobs has run (the commit below never settles by itself). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  /** A store whose mapping commits settle only when the test says so. */
  function slowCommits() {
    const { connector, deliver, rows, deps } = setup([]);
    const commits: { resolve(): void; reject(err: Error): void }[] = [];
    deps.messages.add = (row) => {
      rows.push(row); // found by lookups at once, as the store's pending mappings are
      return new Promise((resolve, reject) => commits.push({ resolve, reject }));
    };
    return { connector, deliver, commits };
  }

  it("lets the room's next event go before the mapping commits; the event is done after it", async () => {
    const { connector, deliver, commits } = slowCommits();
    let delivered: Awaited<ReturnType<typeof deliver>> | 'waiting' = 'waiting';
    void deliver(text('$a')).then((d) => (delivered = d));
    await settled();
    expect(delivered).not.toBe('waiting'); // the room's next event may go
    await deliver(text('$b'));
    expect(connector.messages.map((m) => m.eventId)).toEqual(['$a', '$b']);
    let done = false;
    void (delivered as { confirmed?: Promise<void> }).confirmed?.then(() => (done = true));
    await settled();
    expect(done).toBe(false);
    commits[0]!.resolve();
    await settled();
    expect(done).toBe(true);
  });

  it('fails the event when its mapping cannot be committed', async () => {
    const { deliver, commits } = slowCommits();
    const outcome = deliver(text('$a')).then((delivery) => delivery?.confirmed);
    await settled();
    const broken = new Error('disk full');
    commits[0]!.reject(broken);
    await expect(outcome).rejects.toBe(broken);
  });
});

describe('deliverToNetwork: power levels', () => {
  const levels = (content: Record<string, unknown>): ClientEvent => ({
    event_id: '$pl',
    room_id: ROOM,
    sender: '@alice:example.org',
    type: 'm.room.power_levels',
    state_key: '',
    origin_server_ts: 1,
    content,
  });

  it('gives the room’s redact level with the changes (50 when unset)', async () => {
    const { connector, deliver } = setup([]);
    await deliver(levels({ users: { '@a:example.org': 100 }, redact: 75 }));
    await deliver(levels({ users: { '@a:example.org': 100 } }));
    expect(connector.levels.map((l) => l.redact)).toEqual([75, 50]);
  });
});

describe('powerLevelChanges', () => {
  it('lists the users whose level changed, a removed entry at the default', async () => {
    const { powerLevelChanges } = await import('./from-matrix.js');
    expect(
      powerLevelChanges(
        { users: { '@a:x': 100, '@b:x': 50, '@c:x': 0 }, users_default: 0 },
        { users: { '@a:x': 100, '@c:x': 50, '@d:x': 50 }, users_default: 0 },
      ),
    ).toEqual([
      { userId: '@b:x', level: 50, previous: 0 },
      { userId: '@c:x', level: 0, previous: 50 },
      { userId: '@d:x', level: 0, previous: 50 },
    ]);
    expect(powerLevelChanges({ users: { '@a:x': 100 }, users_default: 0 }, undefined)).toEqual([
      { userId: '@a:x', level: 100, previous: 0 },
    ]);
  });
});
