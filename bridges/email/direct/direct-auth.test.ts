import { describe, expect, it } from 'vitest';
import { verdictLine, verdictOf } from './direct-auth.js';

type Result = Parameters<typeof verdictOf>[0];
const status = (result: string, extra: Record<string, unknown> = {}) => ({ result, ...extra });
const result = (over: {
  dkim?: { domain: string; result: string; aligned?: boolean }[];
  spf?: string;
  dmarc?: { result: string; policy?: string };
}): Result =>
  ({
    dkim: {
      headerFrom: [],
      envelopeFrom: false,
      results: (over.dkim ?? []).map((d) => ({
        signingDomain: d.domain,
        info: '',
        status: status(d.result, { aligned: d.aligned }),
      })),
    },
    spf: over.spf
      ? { domain: 'x', 'client-ip': '1.2.3.4', status: status(over.spf), header: '', info: '' }
      : false,
    dmarc: over.dmarc
      ? {
          domain: 'example.org',
          policy: over.dmarc.policy ?? 'none',
          p: over.dmarc.policy ?? 'none',
          sp: '',
          status: status(over.dmarc.result),
          alignment: {
            spf: { result: false, strict: false },
            dkim: { result: false, strict: false },
          },
          info: '',
        }
      : false,
  }) as unknown as Result;

describe('direct mode sender verdict', () => {
  it('verified when DMARC passes; the line names each check and the signing domains', () => {
    const v = verdictOf(
      result({
        dkim: [{ domain: 'example.org', result: 'pass', aligned: true }],
        spf: 'pass',
        dmarc: { result: 'pass', policy: 'reject' },
      }),
    );
    expect(v.verified).toBe(true);
    expect(v.reject).toBeUndefined();
    expect(verdictLine(v)).toBe(
      '✅ Sender verified: DKIM pass (example.org) · SPF pass · DMARC pass',
    );
  });

  it('without a DMARC policy, an aligned DKIM signature verifies; an unaligned one does not', () => {
    expect(
      verdictOf(result({ dkim: [{ domain: 'a.org', result: 'pass', aligned: true }] })).verified,
    ).toBe(true);
    const other = verdictOf(
      result({ dkim: [{ domain: 'relay.net', result: 'pass' }], spf: 'pass' }),
    );
    expect(other.verified).toBe(false);
    expect(verdictLine(other)).toBe(
      '⚠️ Sender not verified: DKIM pass (relay.net) · SPF pass · DMARC none',
    );
  });

  it('a DMARC failure is refused only under p=reject', () => {
    const reject = verdictOf(result({ spf: 'fail', dmarc: { result: 'fail', policy: 'reject' } }));
    expect(reject.verified).toBe(false);
    expect(reject.reject).toMatch(/example\.org.*DMARC/);
    const quarantine = verdictOf(
      result({
        dkim: [{ domain: 'example.org', result: 'fail' }],
        dmarc: { result: 'fail', policy: 'quarantine' },
      }),
    );
    expect(quarantine.reject).toBeUndefined();
    expect(quarantine.summary).toBe('DKIM fail · SPF none · DMARC fail');
  });
});
