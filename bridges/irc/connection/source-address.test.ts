// Per-user source addresses from an IPv6 prefix: parsing and printing addresses, one address per
// user inside the prefix, the same one again after a restart (stored), collisions moved on.
import { describe, expect, it } from 'vitest';
import { bigIntToIpv6, ipv6ToBigInt, parsePrefix, SourceAddresses } from './source-address.js';

describe('IPv6 numbers', () => {
  it('parses and prints addresses, with :: for the longest run of zero groups', () => {
    for (const a of ['2001:db8::1', '::1', '::', 'fd00:5b:0:1::2:3', '2001:db8:1:2:3:4:5:6'])
      expect(bigIntToIpv6(ipv6ToBigInt(a))).toBe(a);
    expect(bigIntToIpv6(ipv6ToBigInt('2001:0DB8:0000:0000:0001:0000:0000:0001'))).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(ipv6ToBigInt('::ffff:127.0.0.1')).toBe(0xffff7f000001n);
  });

  it('reads prefixes (host bits cleared) and refuses what is not one', () => {
    expect(parsePrefix('2001:db8:1234::5/64')).toEqual({
      base: ipv6ToBigInt('2001:db8:1234::'),
      length: 64,
    });
    expect(parsePrefix('10.0.0.0/8')).toBeUndefined();
    expect(parsePrefix('2001:db8::/129')).toBeUndefined();
    expect(parsePrefix('2001:db8::')).toBeUndefined();
  });
});

describe('SourceAddresses', () => {
  const inPrefix = (a: string, prefix: string) => {
    const p = parsePrefix(prefix)!;
    const n = ipv6ToBigInt(a);
    return n >= p.base && n < p.base + (1n << BigInt(128 - p.length));
  };

  it('gives each user an address of their own in the prefix, the same after a restart', () => {
    let stored: Record<string, string> = {};
    const first = new SourceAddresses('fd00:5b::/64', new Map(), (all) => (stored = all));
    const alice = first.addressFor('@alice:x.org');
    const bob = first.addressFor('@bob:x.org');
    expect(alice).not.toBe(bob);
    expect(inPrefix(alice, 'fd00:5b::/64') && inPrefix(bob, 'fd00:5b::/64')).toBe(true);
    expect(first.addressFor('@alice:x.org')).toBe(alice);
    expect(stored).toEqual({ '@alice:x.org': alice, '@bob:x.org': bob });
    const again = new SourceAddresses('fd00:5b::/64', new Map(Object.entries(stored)), () => {});
    expect(again.addressFor('@bob:x.org')).toBe(bob);
  });

  it('moves on past taken addresses in a small prefix, and says when all are taken', () => {
    const small = new SourceAddresses('fd00::/126', new Map(), () => {}); // 4 addresses, 3 usable
    const got = ['@a:x', '@b:x', '@c:x'].map((u) => small.addressFor(u));
    expect(new Set(got).size).toBe(3);
    expect(got).not.toContain('fd00::');
    expect(() => small.addressFor('@d:x')).toThrow(/every address of the source_prefix is taken/);
  });

  it('forgets stored addresses outside a changed prefix', () => {
    const moved = new SourceAddresses(
      'fd00:1::/64',
      new Map([['@alice:x.org', 'fd00:2::5']]),
      () => {},
    );
    expect(inPrefix(moved.addressFor('@alice:x.org'), 'fd00:1::/64')).toBe(true);
  });
});
