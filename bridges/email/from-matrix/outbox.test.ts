import { describe, expect, it } from 'vitest';
import { BridgeError, type KeyValueStore, portalKey } from '../../../src/connector.js';
import { bounceReason } from './bounces.js';
import { Confirmations, Outbox, type OutboxEntry } from './outbox.js';

function memoryKv(): KeyValueStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async <T>(k: string) => data.get(k) as T | undefined,
    set: async (k, v) => void data.set(k, structuredClone(v)),
    delete: async (k) => void data.delete(k),
  };
}
const entry = (id: string): OutboxEntry => ({
  id,
  portal: portalKey('m/INBOX'),
  mailboxId: 'm',
  from: 'team@example.org',
  to: ['bob@example.org'],
  raw: Buffer.from('Subject: hi\r\n\r\nhi').toString('base64'),
  sender: '@alice:example.org',
  subject: 'hi',
  attempts: 0,
  firstAt: Date.now(),
  nextAt: Date.now(),
});
const log = { info: () => undefined, warn: () => undefined };
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('the outbox', () => {
  it('retries a temporary failure with backoff, from the store (a new outbox resumes it)', async () => {
    const kv = memoryKv();
    let down = true;
    const sent: string[] = [];
    const make = () =>
      new Outbox({
        kv,
        log,
        policy: { first_ms: 100, max_ms: 200, give_up_after_ms: 60_000 },
        send: async () => {
          if (down) throw new BridgeError('network', 'connection refused', true);
        },
        sent: async (e) => void sent.push(e.id),
        failed: async () => undefined,
      });
    const first = make();
    await first.add(entry('<a@x>'));
    await first.deferred(entry('<a@x>'), new BridgeError('network', 'refused', true));
    expect(kv.data.get('outbox')).toEqual(['<a@x>']);
    first.stop();
    down = false;
    const second = make();
    await second.start();
    await until(() => sent.length === 1);
    expect(kv.data.get('outbox')).toEqual([]);
    expect(kv.data.has('q:<a@x>')).toBe(false);
    second.stop();
  });

  it('gives up at a permanent refusal, or after give_up_after_ms, and says why', async () => {
    const kv = memoryKv();
    const failed: string[] = [];
    const outbox = new Outbox({
      kv,
      log,
      policy: { first_ms: 100, max_ms: 100, give_up_after_ms: 250 },
      send: async (e) => {
        throw e.id === '<perm@x>'
          ? new BridgeError('rejected', '550 no such user')
          : new BridgeError('network', 'timeout', true);
      },
      sent: async () => undefined,
      failed: async (e, err) => void failed.push(`${e.id} ${err.userMessage}`),
    });
    for (const id of ['<perm@x>', '<temp@x>']) {
      await outbox.add(entry(id));
      await outbox.deferred(entry(id), new BridgeError('network', 'timeout', true));
    }
    await until(() => failed.length === 2);
    expect(failed[0]).toBe('<perm@x> 550 no such user');
    expect(failed[1]).toMatch(
      /^<temp@x> the mail could not be sent in \d+ tries over \d+ s \(last: timeout\)$/,
    );
    outbox.stop();
  });
});

describe('confirmations of mail from Matrix', () => {
  it('resolves after the bounce wait; a bounce meanwhile rejects; none without a wait', async () => {
    const c = new Confirmations(50);
    const ok = c.wait('<a@x>', true)!;
    const bounced = c.wait('<b@x>', true)!;
    expect(c.fail('<b@x>', new BridgeError('rejected', 'mailbox full'))).toBe(true);
    await expect(bounced).rejects.toThrow('mailbox full');
    await expect(ok).resolves.toBeUndefined();
    expect(c.fail('<a@x>', new BridgeError('rejected', 'late'))).toBe(false);
    expect(new Confirmations(0).wait('<c@x>', true)).toBeUndefined();
  });

  it('reads why a delivery report failed', () => {
    const dsn = (lines: string[]) => Buffer.from(lines.join('\r\n'));
    expect(bounceReason(dsn(['Status: 5.2.2', 'Diagnostic-Code: smtp; 552 5.2.2 full']))).toBe(
      'smtp; 552 5.2.2 full',
    );
    expect(bounceReason(dsn(['Action: failed', 'Status: 5.1.1']))).toBe('status 5.1.1');
    expect(bounceReason(dsn(['nothing']))).toBe('a delivery report came back');
  });
});
