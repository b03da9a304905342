import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from '../config.js';
import { connectionLimits } from './connection-limits.js';

const parse = (network: Record<string, unknown>) =>
  ircConfigSchema.parse({ networks: { n: { host: 'irc.example', ...network } } }).networks.n!;

describe('IRC connection limits', () => {
  it('defaults: 100 messages for 5 minutes while down, 50 connects at once, no puppet limit, never idle', () => {
    expect(connectionLimits(parse({}))).toEqual({
      queueMaxMessages: 100,
      queueMaxWaitMs: 300_000,
      maxConcurrentConnects: 50,
      maxPuppets: 0,
      idleTimeoutMs: 0,
    });
  });

  it('reads the keys, a part of queue_while_down keeping the other default', () => {
    const limits = connectionLimits(
      parse({
        queue_while_down: { max_wait_seconds: 30 },
        max_concurrent_connects: 0,
        max_puppets: 500,
        idle_timeout_hours: 72,
      }),
    );
    expect(limits).toEqual({
      queueMaxMessages: 100,
      queueMaxWaitMs: 30_000,
      maxConcurrentConnects: 0,
      maxPuppets: 500,
      idleTimeoutMs: 72 * 3_600_000,
    });
  });

  it('names the key in its errors', () => {
    const errors = (network: Record<string, unknown>) => {
      const r = ircConfigSchema.safeParse({ networks: { n: { host: 'x', ...network } } });
      return r.success ? '' : r.error.issues.map((i) => i.path.join('.')).join('; ');
    };
    expect(errors({ queue_while_down: { max_messages: 0 } })).toBe(
      'networks.n.queue_while_down.max_messages',
    );
    expect(errors({ queue_while_down: { max_wait: 5 } })).toBe('networks.n.queue_while_down');
    expect(errors({ max_concurrent_connects: -1 })).toBe('networks.n.max_concurrent_connects');
    expect(errors({ max_puppets: 1.5 })).toBe('networks.n.max_puppets');
    expect(errors({ idle_timeout_hours: -2 })).toBe('networks.n.idle_timeout_hours');
  });
});
