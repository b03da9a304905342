import { describe, expect, it } from 'vitest';
import { sipConfigSchema } from '../config.js';
import { DialPlan } from './dial-plan.js';

const config = (extra: Record<string, unknown> = {}) =>
  sipConfigSchema.parse({
    server: 'wss://sip.example.org/ws',
    account: { username: 'switchboard', password: 'pw' },
    dids: { '+15550001': '@alice:example.org' },
    ...extra,
  });

describe('dial plan', () => {
  it('lets DID users call allowed numbers, never premium ones', () => {
    const plan = new DialPlan(config());
    expect(plan.refusal('@alice:example.org', '+15551234567')).toBeUndefined();
    expect(plan.refusal('@alice:example.org', '+19005551234')).toMatch(/premium/);
    expect(plan.refusal('@alice:example.org', '+4490012345')).toMatch(/premium/);
    expect(plan.refusal('@mallory:example.org', '+15551234567')).toMatch(/not allowed/);
    expect(plan.refusal('@alice:example.org', 'bob@pbx.example.org')).toMatch(/pbx.example.org/);
  });

  it('takes allowed domains and number patterns from the config', () => {
    const plan = new DialPlan(
      config({
        users: ['@bob:example.org'],
        dial_plan: { allow: ['^\\+44'], allow_domains: ['pbx.example.org'] },
      }),
    );
    expect(plan.refusal('@bob:example.org', 'bob@pbx.example.org')).toBeUndefined();
    expect(plan.refusal('@bob:example.org', '+15551234567')).toMatch(
      /not a number the dial plan allows/,
    );
    expect(plan.refusal('@bob:example.org', '+442071234567')).toBeUndefined();
    expect(plan.userOfDid('+15550001')).toBe('@alice:example.org');
    expect(plan.didOf('@alice:example.org')).toBe('+15550001');
  });

  it('names the key and the fix in config errors', () => {
    const bad = sipConfigSchema.safeParse({
      server: 'ws://sip.example.org/ws',
      account: { username: 'switchboard' },
      dids: { '15550001': '@alice:example.org' },
    });
    expect(bad.success).toBe(false);
    const text = JSON.stringify(bad.error?.issues);
    expect(text).toMatch(/exactly one of password and password_file/);
    expect(text).toMatch(/E.164/);
  });
});
