// Runs inside a network namespace of its own (`unshare -rn`, made by
// test/integration/irc-namespace.test.ts): loopback only, where this process is root. It brings up
// `lo`, routes an IPv6 prefix to it (AnyIP, with ip_nonlocal_bind), starts an InspIRCd on ::1 and
// 127.0.0.1 that does ident lookups (RFC 1413, to port 113, which it cannot be told otherwise),
// and runs the IRC bridge's own connection code against it: two Matrix users' puppet connections
// with per-user source addresses from the prefix (over ::1) and with the bridge's ident server
// answering for them (over 127.0.0.1 and ::1). What the server sees of them (WHOIS) is printed as
// one JSON line for the test to check. (ngIRCd cannot run here: in a user namespace it refuses
// to stay root and cannot switch to `nobody`.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IRC from 'irc-framework';
import { pino } from 'pino';
import { IrcNetwork } from '../../bridges/irc/connection/client.js';
import { loadSourceAddresses } from '../../bridges/irc/connection/source-address.js';
import { networkSchema } from '../../bridges/irc/config.js';
import { startIdentServer } from '../../bridges/irc/ident/start.js';
import { identUsername } from '../../bridges/irc/ident/usernames.js';
import type { MatrixUserId } from '../../src/connector.js';

const PREFIX = 'fd00:5b::/64';
const PORT = 6667;
const USERS = ['@alice:example.org', '@bob:example.org'] as MatrixUserId[];
const log = pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' });
const children: ChildProcess[] = [];

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function portOpen(host: string, port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on [${host}]:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(cmd: string, args: string[], cwd: string): void {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
}

function memoryKv() {
  const data = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => structuredClone(data.get(k)) as T | undefined,
    set: async <T>(k: string, v: T) => void data.set(k, structuredClone(v)),
    delete: async (k: string) => void data.delete(k),
  };
}

/** A plain IRC client on the server that asks WHOIS about nicks. */
async function watcher(host: string, port: number) {
  const client = new IRC.Client();
  const registered = new Promise<void>((r) => client.once('registered', () => r()));
  client.connect({ host, port, nick: 'watcher', username: 'watcher', tls: false });
  await registered;
  const whois = (nick: string) =>
    new Promise<{ ident?: string; hostname?: string }>((resolve) => {
      client.once('whois', (e: { ident?: string; hostname?: string }) => resolve(e));
      client.raw(`WHOIS ${nick}`);
    });
  return { client, whois };
}

async function main(): Promise<void> {
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('ip', ['-6', 'route', 'add', 'local', PREFIX, 'dev', 'lo']);
  sh('sysctl', ['-qw', 'net.ipv6.ip_nonlocal_bind=1']);
  const dir = mkdtempSync(join(tmpdir(), 'sb-irc-ns-'));
  writeFileSync(join(dir, 'motd'), '');
  writeFileSync(
    join(dir, 'inspircd.conf'),
    `<server name="irc.localhost" description="ns" network="NS">
<bind address="127.0.0.1" port="${PORT}" type="clients">
<bind address="::1" port="${PORT}" type="clients">
<pid file="${dir}/inspircd.pid">
<connect name="main" allow="*" timeout="60" threshold="1000000" commandrate="1000000000" fakelag="no" localmax="100" globalmax="100" resolvehostnames="no" useident="yes">
<dns server="127.0.0.1" timeout="1">
<files motd="${dir}/motd">
<module name="ident"><ident timeout="3">
`,
  );
  start('inspircd', ['--nofork', '--runasroot', `--config=${join(dir, 'inspircd.conf')}`], dir);
  await portOpen('::1', PORT);
  await portOpen('127.0.0.1', PORT);

  const kv = memoryKv();
  const networks: IrcNetwork[] = [];
  const ident = await startIdentServer(
    { enabled: true, port: 113, address: '::' },
    () => networks,
    log,
  );
  const network = async (id: string, host: string, port: number, prefix?: string) => {
    const config = networkSchema.parse({ host, port, tls: false, flood: { lines_per_second: 0 } });
    const n = new IrcNetwork(id, config, log);
    const addresses = prefix ? await loadSourceAddresses(kv, id, prefix, log) : undefined;
    n.puppetOptions = (userId) => ({
      username: identUsername(userId),
      ...(addresses ? { localAddress: addresses.addressFor(userId) } : {}),
    });
    networks.push(n);
    n.start();
    await n.bot.ready(15_000);
    return n;
  };
  const seen = async (n: IrcNetwork, host: string, port: number) => {
    for (const u of USERS) await n.puppetFor(u, u.slice(1, u.indexOf(':'))).ready(15_000);
    const w = await watcher(host, port);
    const out: Record<string, { nick: string; ident?: string; hostname?: string }> = {};
    for (const u of USERS) {
      const nick = n.puppetNick(u)!;
      const who = await w.whois(nick);
      out[u] = { nick, ident: who.ident, hostname: who.hostname };
    }
    // A connection that is not the bridge's: the ident server does not answer for it.
    const self = await w.whois('watcher');
    out['watcher'] = { nick: 'watcher', ident: self.ident, hostname: self.hostname };
    w.client.quit('done');
    return out;
  };

  const v6 = await network('v6', '::1', PORT, PREFIX);
  const overIpv6 = await seen(v6, '::1', PORT);
  // A restart of the bridge: a new network from what was stored gives the same addresses.
  v6.stop();
  networks.splice(networks.indexOf(v6), 1);
  const again = await network('v6', '::1', PORT, PREFIX);
  const afterRestart = await seen(again, '::1', PORT);
  again.stop();
  networks.splice(networks.indexOf(again), 1);
  const v4 = await network('v4', '127.0.0.1', PORT);
  const overIpv4 = await seen(v4, '127.0.0.1', PORT);
  const expected = Object.fromEntries(USERS.map((u) => [u, { username: identUsername(u) }]));
  console.log(JSON.stringify({ overIpv6, afterRestart, overIpv4, expected }));
  for (const n of networks) n.stop();
  await ident.stop();
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    setTimeout(() => process.exit(), 500).unref();
  });
