import { describe, expect, it } from 'vitest';
import {
  auth,
  event,
  calls,
  handlers,
  putTxn,
  flags,
  captured,
  useAppservice,
} from './appservice-fixture.js';

// Plain transactions take the fast path before Express; the others, and every request before the
// bridge's start is done, take Express's route: both must answer alike.
describe.each([
  ['fast path first', true],
  ['Express only', false],
])('PUT /transactions/{txnId} (%s)', (_how, fastPath) => {
  useAppservice({ fastPath });

  it('hands events and ephemeral data to the handler and answers {}', async () => {
    const typing = {
      type: 'm.typing',
      room_id: '!room:example.org',
      content: { user_ids: ['@alice:example.org'] },
    };
    const res = await putTxn('42', {
      events: [event(1), event(2)],
      ephemeral: [typing],
      to_device: [{ type: 'm.x', content: {} }],
    });
    expect(res).toMatchObject({ status: 200, json: {} });
    expect(calls.txns).toHaveLength(1);
    const [txnId, txn] = calls.txns[0]!;
    expect(txnId).toBe('42');
    expect(txn.events.map((e) => e.event_id)).toEqual(['$ev1', '$ev2']);
    expect(txn.ephemeral).toEqual([typing]);
    expect(txn.toDevice).toHaveLength(1);
  });

  it('reads the unstable MSC2409 keys', async () => {
    const receipt = {
      type: 'm.receipt',
      room_id: '!room:example.org',
      content: { $ev1: { 'm.read': { '@alice:example.org': { ts: 1 } } } },
    };
    await putTxn('43', {
      events: [],
      'de.sorunome.msc2409.ephemeral': [receipt],
      'de.sorunome.msc2409.to_device': [{ type: 'm.y', content: {} }],
    });
    expect(calls.txns[0]![1]).toMatchObject({
      events: [],
      ephemeral: [receipt],
      toDevice: [{ type: 'm.y' }],
    });
  });

  it('reads EDUs once when both the stable and the unstable key carry them', async () => {
    const presence = {
      type: 'm.presence',
      sender: '@alice:example.org',
      content: { presence: 'online' },
    };
    await putTxn('44', {
      events: [],
      ephemeral: [presence],
      'de.sorunome.msc2409.ephemeral': [presence],
    });
    expect(calls.txns[0]![1].ephemeral).toEqual([presence]);
  });

  it('defaults missing ephemeral and to-device lists to empty', async () => {
    await putTxn('45', { events: [event(1)] });
    expect(calls.txns[0]![1]).toMatchObject({ ephemeral: [], toDevice: [] });
  });

  it('serves the legacy unprefixed path', async () => {
    const res = await putTxn('46', { events: [event(3)] }, auth, '');
    expect(res.status).toBe(200);
    expect(calls.txns[0]![0]).toBe('46');
  });

  it('decodes the txnId path segment', async () => {
    await putTxn('a%2Fb%20c', { events: [] });
    expect(calls.txns[0]![0]).toBe('a/b c');
  });

  it('answers 400 M_NOT_JSON for a body that is not JSON, or none', async () => {
    expect(await putTxn('1', '{"events": [')).toMatchObject({
      status: 400,
      json: { errcode: 'M_NOT_JSON' },
    });
    expect(await putTxn('1', '')).toMatchObject({ status: 400, json: { errcode: 'M_NOT_JSON' } });
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 400 M_BAD_JSON for JSON of the wrong shape', async () => {
    for (const body of [
      [],
      'null',
      '"events"',
      {},
      { events: {} },
      { events: [], ephemeral: 'x' },
      { events: [], 'de.sorunome.msc2409.to_device': {} },
    ]) {
      const res = await putTxn('1', body);
      expect(res, JSON.stringify(body)).toMatchObject({
        status: 400,
        json: { errcode: 'M_BAD_JSON' },
      });
    }
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 413 M_TOO_LARGE for a body over the limit', async () => {
    const big = { events: [{ ...event(1), content: { body: 'x'.repeat(70 * 1024) } }] };
    expect(await putTxn('1', big)).toMatchObject({ status: 413, json: { errcode: 'M_TOO_LARGE' } });
    expect(calls.txns).toHaveLength(0);
  });

  it('drops malformed events with a warning and keeps the rest', async () => {
    const bad = [
      { ...event(10), event_id: undefined },
      { ...event(11), room_id: 5 },
      { ...event(12), type: '' },
      { ...event(13), sender: 'alice' },
      { ...event(14), content: 'text' },
      { ...event(15), content: null },
      { ...event(16), origin_server_ts: 'yesterday' },
      'not an event',
    ];
    const badEdu = { type: 'm.typing', content: { user_ids: [] } }; // no room_id
    const res = await putTxn('50', { events: [event(1), ...bad, event(2)], ephemeral: [badEdu] });
    expect(res.status).toBe(200);
    expect(calls.txns[0]![1].events.map((e) => e.event_id)).toEqual(['$ev1', '$ev2']);
    expect(calls.txns[0]![1].ephemeral).toEqual([]);
    const warnings = captured.lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(bad.length + 1);
    expect(warnings[0]).toMatchObject({ txnId: '50', index: 1, msg: 'dropping malformed event' });
  });

  it('answers 500 M_UNKNOWN, without internals, when the handler fails, so the homeserver retries', async () => {
    flags.failNextTransaction = true;
    const res = await putTxn('60', { events: [event(1)] });
    expect(res).toMatchObject({ status: 500, json: { errcode: 'M_UNKNOWN' } });
    expect(JSON.stringify(res.json)).not.toMatch(/secret|database/);
    expect((await putTxn('60', { events: [event(1)] })).status).toBe(200);
    expect(calls.txns.map(([id]) => id)).toEqual(['60']);
  });

  it('merges a retry that arrives while the same txnId is still being stored', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const original = handlers.onTransaction;
    let runs = 0;
    handlers.onTransaction = async () => {
      runs++;
      await slow;
    };
    try {
      const first = putTxn('70', { events: [event(1)] });
      const second = putTxn('70', { events: [event(1)] });
      await new Promise((r) => setTimeout(r, 50)); // both requests reach the router
      release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(runs).toBe(1);
    } finally {
      handlers.onTransaction = original;
    }
  });
});
