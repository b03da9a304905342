// Ident (RFC 1413) and per-user IPv6 source addresses, in a network namespace this test makes
// (`unshare -rn`: loopback only, no privilege needed on the host): InspIRCd there looks up each
// connection's ident on port 113 (it cannot be pointed elsewhere), where the bridge's ident server
// answers; the bridge's puppet connections to InspIRCd on ::1 come from addresses of
// fd00:5b::/64, one per Matrix user, the same after a restart. The namespace's process
// (test/support/irc-namespace-child.ts) runs the bridge's connection code and reports what
// InspIRCd's WHOIS shows. No Synapse: a namespace cannot reach the test Synapse.
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipv6ToBigInt, parsePrefix } from '../../bridges/irc/connection/source-address.js';

interface Seen {
  nick: string;
  ident?: string;
  hostname?: string;
}
interface Report {
  overIpv6: Record<string, Seen>;
  afterRestart: Record<string, Seen>;
  overIpv4: Record<string, Seen>;
  expected: Record<string, { username: string }>;
}

function requireNamespaces(): void {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `network namespaces are not available here (\`unshare -rn true\` failed: ${(err as Error).message.trim()}); ` +
        'unprivileged user namespaces must be allowed (sysctl kernel.unprivileged_userns_clone=1)',
    );
  }
  try {
    execFileSync('inspircd', ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      'InspIRCd is not installed: run `npm test` (test/peers/irc.sh install installs it)',
    );
  }
}

function runChild(): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['-rn', 'node_modules/.bin/tsx', 'test/support/irc-namespace-child.ts'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        return reject(new Error(`the namespace run failed (exit ${code}):\n${err}${out}`));
      resolve(JSON.parse(line) as Report);
    });
  });
}

describe('IRC ident server and IPv6 source addresses (InspIRCd in a network namespace)', () => {
  it('each Matrix user connects from an address of their own in the prefix, with their own ident', async () => {
    requireNamespaces();
    const report = await runChild();
    const users = Object.keys(report.expected);
    const prefix = parsePrefix('fd00:5b::/64')!;
    const inPrefix = (a: string) => {
      const n = ipv6ToBigInt(a);
      return n >= prefix.base && n < prefix.base + (1n << 64n);
    };
    const addresses = users.map((u) => report.overIpv6[u]!.hostname!);
    expect(addresses.every(inPrefix)).toBe(true);
    expect(new Set(addresses).size).toBe(users.length);
    // After a restart, each user comes from the same address again.
    expect(users.map((u) => report.afterRestart[u]!.hostname)).toEqual(addresses);
    // InspIRCd took the ident server's answer (no `~`, which marks an ident it could not get),
    // over IPv6 and IPv4; a client that is not the bridge's gets none.
    for (const seen of [report.overIpv6, report.afterRestart, report.overIpv4])
      expect(users.map((u) => seen[u]!.ident)).toEqual(
        users.map((u) => report.expected[u]!.username),
      );
    expect(new Set(users.map((u) => report.expected[u]!.username)).size).toBe(users.length);
    expect(report.overIpv4['watcher']!.ident).toBe('~watcher');
  });
});
