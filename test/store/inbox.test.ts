import { afterEach, expect, it, vi } from 'vitest';
import { describeStore } from './dialects.js';

/** Matrix-ish events for a transaction: `ev(1, 2)` → $1 and $2 in !room. */
function ev(...ns: number[]) {
  return ns.map((n) => ({
    eventId: `$${n}`,
    roomId: n % 2 ? '!odd:hs' : '!even:hs',
    json: JSON.stringify({ event_id: `$${n}` }),
  }));
}

const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);

afterEach(() => {
  vi.restoreAllMocks();
});

describeStore('inbox', (store) => {
  it('stores a transaction and returns its events in order with increasing seq', async () => {
    const result = await store().inbox.addTransaction('1', ev(1, 2, 3));
    expect(result.repeat).toBe(false);
    expect(result.txnIdReset).toBe(false);
    expect(ids(result.added)).toEqual(['$1', '$2', '$3']);
    expect(result.added[0]).toEqual({
      seq: expect.any(Number),
      eventId: '$1',
      roomId: '!odd:hs',
      txnId: '1',
      json: '{"event_id":"$1"}',
    });
    const seqs = result.added.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
    expect(await store().inbox.pending()).toEqual(result.added);
  });

  it('recognises a retried transaction and stores nothing twice', async () => {
    await store().inbox.addTransaction('1', ev(1, 2));
    const again = await store().inbox.addTransaction('1', ev(1, 2));
    expect(again).toEqual({ added: [], txnIdReset: false, repeat: true });
    expect(ids(await store().inbox.pending())).toEqual(['$1', '$2']);
  });

  it('detects a txnId counter reset and keeps the new events', async () => {
    await store().inbox.addTransaction('1', ev(1, 2));
    const reset = await store().inbox.addTransaction('1', ev(3, 4));
    expect(reset.txnIdReset).toBe(true);
    expect(reset.repeat).toBe(false);
    expect(ids(reset.added)).toEqual(['$3', '$4']);
    // The reset replaced the stored fingerprint: a retry of the new one is a repeat.
    expect((await store().inbox.addTransaction('1', ev(3, 4))).repeat).toBe(true);
    // The old one again is a reset, but its events are already stored.
    expect(await store().inbox.addTransaction('1', ev(1, 2))).toEqual({
      added: [],
      txnIdReset: true,
      repeat: false,
    });
    expect(ids(await store().inbox.pending())).toEqual(['$1', '$2', '$3', '$4']);
  });

  it('dedupes by event id across transactions and within one', async () => {
    await store().inbox.addTransaction('1', ev(1, 2));
    const second = await store().inbox.addTransaction('2', ev(2, 3, 3, 4));
    expect(ids(second.added)).toEqual(['$3', '$4']);
    expect(second.added.every((e) => e.txnId === '2')).toBe(true);
    expect(ids(await store().inbox.pending())).toEqual(['$1', '$2', '$3', '$4']);
  });

  it('handles empty and large transactions', async () => {
    expect(await store().inbox.addTransaction('empty', [])).toEqual({
      added: [],
      txnIdReset: false,
      repeat: false,
    });
    expect((await store().inbox.addTransaction('empty', [])).repeat).toBe(true);
    const many = Array.from({ length: 1234 }, (_, i) => i + 1);
    const big = await store().inbox.addTransaction('big', ev(...many));
    expect(ids(big.added)).toEqual(ids(ev(...many)));
    expect((await store().inbox.pending()).length).toBe(1234);
  });

  it('replays unfinished events oldest first', async () => {
    await store().inbox.addTransaction('1', ev(1, 2));
    await store().inbox.addTransaction('2', ev(3, 4));
    await store().inbox.finish([{ eventId: '$1', state: 'done', bridge: 'irc' }]);
    await store().inbox.finish([{ eventId: '$3', state: 'failed', bridge: 'irc', reason: 'nope' }]);
    expect(ids(await store().inbox.pending())).toEqual(['$2', '$4']);
  });

  it('records many outcomes at once, failures findable by notice and by room', async () => {
    await store().inbox.addTransaction('1', ev(1, 2, 3, 4, 5));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    await store().inbox.finish([
      { eventId: '$1', state: 'done', bridge: 'irc' },
      { eventId: '$2', state: 'done', bridge: null },
      {
        eventId: '$3',
        state: 'failed',
        bridge: 'xmpp',
        reason: 'too long',
        noticeEventId: '$notice3',
      },
      { eventId: '$4', state: 'done', bridge: 'xmpp' },
    ]);
    now.mockReturnValue(2_000);
    await store().inbox.finish([
      { eventId: '$5', state: 'failed', bridge: null, reason: 'core', noticeEventId: '$notice5' },
    ]);

    expect(ids(await store().inbox.pending())).toEqual([]);
    expect(await store().inbox.failedByNotice('$notice3')).toMatchObject({
      eventId: '$3',
      roomId: '!odd:hs',
      failedBridge: 'xmpp',
    });
    const core = await store().inbox.failedByNotice('$notice5');
    expect(core?.eventId).toBe('$5');
    expect(core?.failedBridge).toBeUndefined();
    expect(await store().inbox.failedByNotice('$unknown')).toBeUndefined();
    expect(ids(await store().inbox.failedInRoom('!odd:hs', 10))).toEqual(['$5', '$3']);
    expect(ids(await store().inbox.failedInRoom('!odd:hs', 1))).toEqual(['$5']);
    expect(await store().inbox.failedInRoom('!even:hs', 10)).toEqual([]);
  });

  it('lets the last of several outcomes for one event win', async () => {
    await store().inbox.addTransaction('1', ev(1));
    await store().inbox.finish([
      { eventId: '$1', state: 'failed', bridge: 'irc', reason: 'first', noticeEventId: '$n' },
      { eventId: '$1', state: 'done', bridge: 'irc' },
    ]);
    expect(await store().inbox.failedInRoom('!odd:hs', 10)).toEqual([]);
    expect(await store().inbox.failedByNotice('$n')).toBeUndefined();
  });

  it('retries a failed event: pending again, for the bridge it failed in', async () => {
    await store().inbox.addTransaction('1', ev(1, 2));
    await store().inbox.finish([
      { eventId: '$1', state: 'failed', bridge: 'irc', reason: 'down', noticeEventId: '$n1' },
      { eventId: '$2', state: 'done', bridge: 'irc' },
    ]);
    const retried = await store().inbox.retry('$1');
    expect(retried).toMatchObject({
      eventId: '$1',
      roomId: '!odd:hs',
      txnId: '1',
      failedBridge: 'irc',
    });
    expect(await store().inbox.pending()).toEqual([retried]);
    expect(await store().inbox.failedByNotice('$n1')).toBeUndefined();
    // Only failed events can be retried.
    expect(await store().inbox.retry('$1')).toBeUndefined();
    expect(await store().inbox.retry('$2')).toBeUndefined();
    expect(await store().inbox.retry('$missing')).toBeUndefined();
    await store().inbox.finish([{ eventId: '$1', state: 'done', bridge: 'irc' }]);
    expect(await store().inbox.pending()).toEqual([]);
  });

  it('reports room health: last success, last failure and its reason', async () => {
    expect(await store().inbox.health('!odd:hs')).toEqual({});
    await store().inbox.addTransaction('1', ev(1, 3, 5, 2));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    await store().inbox.finish([
      { eventId: '$1', state: 'failed', bridge: 'irc', reason: 'old failure' },
    ]);
    now.mockReturnValue(2_000);
    await store().inbox.finish([{ eventId: '$3', state: 'done', bridge: 'irc' }]);
    now.mockReturnValue(3_000);
    await store().inbox.finish([
      { eventId: '$5', state: 'failed', bridge: 'xmpp', reason: 'new failure' },
    ]);
    now.mockReturnValue(4_000);
    await store().inbox.finish([{ eventId: '$2', state: 'done', bridge: 'irc' }]);
    expect(await store().inbox.health('!odd:hs')).toEqual({
      lastSuccess: 2_000,
      lastFailure: 3_000,
      lastFailureReason: 'new failure',
    });
    expect(await store().inbox.health('!even:hs')).toEqual({ lastSuccess: 4_000 });
  });

  it('prunes finished events older than a time, never pending ones', async () => {
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    await store().inbox.addTransaction('1', ev(1, 2, 3, 4));
    await store().inbox.finish([
      { eventId: '$1', state: 'done', bridge: 'irc' },
      { eventId: '$2', state: 'failed', bridge: 'irc', reason: 'x' },
    ]);
    now.mockReturnValue(5_000);
    await store().inbox.addTransaction('2', ev(5));
    await store().inbox.finish([{ eventId: '$3', state: 'done', bridge: 'irc' }]);

    expect(await store().inbox.prune(1_000)).toBe(0);
    expect(await store().inbox.prune(2_000)).toBe(2);
    expect(ids(await store().inbox.pending())).toEqual(['$4', '$5']);
    expect(await store().inbox.failedInRoom('!even:hs', 10)).toEqual([]);
    expect(await store().inbox.health('!odd:hs')).toEqual({ lastSuccess: 5_000 });
    // A recent transaction is still known after the prune.
    expect((await store().inbox.addTransaction('2', ev(5))).repeat).toBe(true);
    expect(await store().inbox.prune(10_000)).toBe(1);
    expect(ids(await store().inbox.pending())).toEqual(['$4', '$5']);
  });

  it('scrubs a stored event down to what identifies it (a command that held a password)', async () => {
    const login = {
      event_id: '$9',
      room_id: '!odd:hs',
      sender: '@alice:hs',
      type: 'm.room.message',
      origin_server_ts: 7,
      content: { msgtype: 'm.text', body: 'irc login libera alice hunter2' },
      unsigned: { transaction_id: 'hunter2-in-unsigned-too' },
    };
    await store().inbox.addTransaction('1', [
      { eventId: '$9', roomId: '!odd:hs', json: JSON.stringify(login) },
      ...ev(1),
    ]);
    expect(await store().inbox.scrub('$9')).toBe(true);
    expect(await store().inbox.scrub('$unknown')).toBe(false);

    const [scrubbed, other] = await store().inbox.pending();
    expect(scrubbed!.json).not.toContain('hunter2');
    expect(JSON.parse(scrubbed!.json)).toEqual({
      event_id: '$9',
      room_id: '!odd:hs',
      sender: '@alice:hs',
      type: 'm.room.message',
      origin_server_ts: 7,
      content: {},
    });
    expect(other!.json).toBe('{"event_id":"$1"}');
  });
});
