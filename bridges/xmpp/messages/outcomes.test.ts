import { describe, expect, it } from 'vitest';
import {
  bounce,
  bounceRef,
  isBounceRef,
  OutcomeWaits,
  parseRef,
  refusalCondition,
} from './outcomes.js';

const refused = { delivered: false as const, errcode: 'M_FORBIDDEN', reason: 'not here <b>' };

describe('XMPP outcomes', () => {
  it('bounces a message from where it was sent to its sender, with its id and why', () => {
    const raw = bounceRef({ from: 'a@x/phone', to: 'matt@matrix.x', id: 'm1' });
    expect(isBounceRef(raw)).toBe(true);
    const ref = parseRef(raw);
    expect(ref).toEqual({ t: 'bounce', from: 'matt@matrix.x', to: 'a@x/phone', id: 'm1' });
    const el = bounce(ref as Extract<typeof ref, { t: 'bounce' }>, refused);
    expect(el.attrs).toEqual({ type: 'error', from: 'matt@matrix.x', to: 'a@x/phone', id: 'm1' });
    expect(el.toString()).toContain('<forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    expect(el.toString()).toContain('Not delivered to Matrix: not here &lt;b&gt;');
  });

  it('names the condition that fits the refusal', () => {
    expect(refusalCondition('M_FORBIDDEN')).toEqual({ type: 'auth', condition: 'forbidden' });
    expect(refusalCondition('M_TOO_LARGE').condition).toBe('policy-violation');
    expect(refusalCondition('M_UNKNOWN').condition).toBe('not-acceptable');
  });

  it('ignores refs it did not write', () => {
    expect(parseRef('not json')).toBeUndefined();
    expect(parseRef('{"t":"other"}')).toBeUndefined();
  });

  it('hands an outcome to whoever waits for it, and says when nobody does', async () => {
    const waits = new OutcomeWaits();
    const waiting = waits.wait('r');
    expect(waits.settle('r', { delivered: true })).toBe(true);
    await expect(waiting).resolves.toEqual({ delivered: true });
    expect(waits.settle('r', { delivered: true })).toBe(false);
    void waits.wait('gone');
    waits.forget('gone');
    expect(waits.settle('gone', { delivered: true })).toBe(false);
  });
});
