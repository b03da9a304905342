/**
 * A distinct source address per Matrix user from a configured IPv6 prefix (`source_prefix`), for
 * networks that limit connections per address: derived from a hash of the user id (so it is the
 * same after a restart even without the store), moved on to the next free one on a collision, and
 * stored (kv `source-addresses:<network>`) so that a user keeps theirs when others come and go.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../src/connector.js';

export const sourceAddressesKey = (network: string) => `source-addresses:${network}`;

/** `2001:db8::/64` → its first address as a 128-bit number, and the prefix length. */
export function parsePrefix(cidr: string): { base: bigint; length: number } | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!m || !isIPv6(m[1]!)) return undefined;
  const length = Number(m[2]);
  if (length > 128) return undefined;
  const value = ipv6ToBigInt(m[1]!);
  const hostBits = BigInt(128 - length);
  return { base: (value >> hostBits) << hostBits, length };
}

export function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  // An IPv4 tail (`::ffff:1.2.3.4`) as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text =
      text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** The 128-bit number as an IPv6 address (lowercase, the longest run of zero groups as `::`). */
export function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16),
  );
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export class SourceAddresses {
  private readonly base: bigint;
  private readonly size: bigint;
  /** Address → user, for collisions. */
  private readonly taken = new Map<string, string>();

  constructor(
    prefix: string,
    /** User id → address, as stored. */
    private readonly byUser: Map<string, string>,
    private readonly save: (all: Record<string, string>) => void,
  ) {
    const parsed = parsePrefix(prefix);
    if (!parsed) throw new Error(`source_prefix ${prefix} is not an IPv6 prefix`);
    this.base = parsed.base;
    this.size = 1n << BigInt(128 - parsed.length);
    // Stored addresses stay theirs while they are still inside the prefix (it may have changed).
    for (const [user, address] of [...byUser]) {
      const n = isIPv6(address) ? ipv6ToBigInt(address) : -1n;
      if (n < this.base || n >= this.base + this.size) byUser.delete(user);
      else this.taken.set(bigIntToIpv6(n), user);
    }
  }

  /** The user's address: the stored one, or a new one (stored). */
  addressFor(userId: string): string {
    const known = this.byUser.get(userId);
    if (known) return known;
    // Skip the prefix's first address (the subnet-router anycast) where the prefix has room.
    const usable = this.size > 2n ? this.size - 1n : this.size;
    const first = this.size > 2n ? 1n : 0n;
    const digest = createHash('sha256').update(userId).digest('hex');
    const offset = BigInt(`0x${digest}`) % usable;
    for (let tries = 0n; tries < usable; tries++) {
      const address = bigIntToIpv6(this.base + first + ((offset + tries) % usable));
      if (this.taken.has(address)) continue;
      this.taken.set(address, userId);
      this.byUser.set(userId, address);
      this.save(Object.fromEntries(this.byUser));
      return address;
    }
    throw new Error(`every address of the source_prefix is taken (${this.byUser.size} users)`);
  }
}

/** The network's addresses, as stored; new ones are stored as they are given (in order). */
export async function loadSourceAddresses(
  kv: Pick<KeyValueStore, 'get' | 'set'>,
  network: string,
  prefix: string,
  log: Logger,
): Promise<SourceAddresses> {
  const stored = (await kv.get<Record<string, string>>(sourceAddressesKey(network))) ?? {};
  const byUser = new Map(
    Object.entries(stored).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  let saved = Promise.resolve();
  return new SourceAddresses(prefix, byUser, (all) => {
    saved = saved
      .then(() => kv.set(sourceAddressesKey(network), all))
      .catch((err: unknown) => log.warn({ err, irc: network }, 'source addresses not stored'));
  });
}
