import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ComponentLink } from './connection.js';
import { buildMessage } from './stanzas.js';

const link = (maxQueued = 2) =>
  new ComponentLink({
    host: '127.0.0.1',
    port: 1, // never started: what send() does before any connection
    domain: 'matrix.example.org',
    secret: 's3cret',
    minDelayMs: 10,
    maxDelayMs: 100,
    maxQueued,
    log: pino({ level: 'silent' }),
  });
const from = (address: string) =>
  buildMessage({ type: 'chat', from: address, to: 'bob@example.org', id: '1', body: 'x' });

describe('the component connection', () => {
  it('refuses stanzas from addresses the component does not speak for', async () => {
    const l = link();
    await expect(l.send(from('alice@example.org'))).rejects.toThrow(/does not speak for/);
    await expect(l.send(from('a@matrix.example.org.evil.org'))).rejects.toThrow(
      /does not speak for/,
    );
    await expect(l.send(from('not a jid@@'))).rejects.toThrow(/does not speak for/);
    const el = from('x@matrix.example.org');
    delete el.attrs.from;
    await expect(l.send(el)).rejects.toThrow(/does not speak for/);
    expect(l.queued).toBe(0);
  });

  it('queues in order while down, refuses past max_queued, and rejects what waits at stop', async () => {
    const l = link(2);
    const a = l.send(from('a@matrix.example.org'));
    const b = l.send(from('b@matrix.example.org'));
    await expect(l.send(from('c@matrix.example.org'))).rejects.toThrow(/too many stanzas/);
    expect(l.queued).toBe(2);
    await l.stop();
    await expect(a).rejects.toThrow(/stopped/);
    await expect(b).rejects.toThrow(/stopped/);
  });
});
