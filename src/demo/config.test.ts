import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { availableConnectors } from '../bridges.js';
import { banner } from './banner.js';
import { demoConfigObject, writeDemoFiles } from './config.js';
import { resolveOptions, CORE_PORTS } from './options.js';
import { DEMO_PEERS, type DemoPeerContext } from './peers.js';
import type { PeerScripts } from './scripts.js';

const ports = [...CORE_PORTS, ...DEMO_PEERS.flatMap((p) => p.ports)];

function context(): DemoPeerContext {
  const dir = mkdtempSync(join(tmpdir(), 'sb-demo-config-'));
  return { opts: resolveOptions({ dir, ircPort: '16999' }, ports, {}), scripts: {} as PeerScripts };
}

describe('the demo config', () => {
  it("is valid for the schema and every bridge, on 127.0.0.1, with each demo peer's section", () => {
    const ctx = context();
    const raw = demoConfigObject(ctx.opts, DEMO_PEERS, ctx, '@demo:localhost');
    const files = writeDemoFiles(ctx.opts, raw, availableConnectors());
    const { config } = files;
    expect(config.homeserver).toEqual({ url: 'http://127.0.0.1:8008', domain: 'localhost' });
    expect(config.appservice).toMatchObject({
      bind: '127.0.0.1',
      port: 9000,
      url: 'http://127.0.0.1:9000',
    });
    expect(config.admins).toEqual(['@demo:localhost']);
    expect(Object.keys(config.bridges).sort()).toEqual(['echo', 'irc', 'sip', 'xmpp']);
    expect(config.bridges.xmpp).toMatchObject({
      host: '127.0.0.1',
      port: 5347,
      create_rooms: true,
    });
    expect(config.bridges.irc).toMatchObject({
      networks: { demo: { host: '127.0.0.1', port: 16999, tls: false } },
    });
    expect(config.bridges.sip).toMatchObject({
      server: 'ws://127.0.0.1:5066',
      dids: { '+15550100': '@demo:localhost' },
    });
    expect(statSync(files.configFile).mode & 0o777).toBe(0o600);
  });

  it('writes the registration from it: the namespaces of every bridge, the bridge URL, the same tokens', () => {
    const ctx = context();
    const files = writeDemoFiles(
      ctx.opts,
      demoConfigObject(ctx.opts, DEMO_PEERS, ctx, '@demo:localhost'),
      availableConnectors(),
    );
    const reg = parse(readFileSync(files.registrationFile, 'utf8')) as {
      url: string;
      as_token: string;
      namespaces: { aliases: { regex: string }[] };
    };
    expect(reg.url).toBe('http://127.0.0.1:9000');
    expect(reg.as_token).toBe(files.config.appservice.as_token);
    expect(reg.namespaces.aliases.map((a) => a.regex).sort()).toEqual([
      '#echo_.*:localhost',
      '#irc_.*:localhost',
      '#sip_.*:localhost',
      '#xmpp_.*:localhost',
    ]);
  });

  it('a peer whose section its bridge refuses is caught before anything starts', () => {
    const ctx = context();
    const raw = demoConfigObject(ctx.opts, DEMO_PEERS, ctx, '@demo:localhost');
    (raw.bridges as Record<string, Record<string, unknown>>).irc!.networks = {};
    expect(() => writeDemoFiles(ctx.opts, raw, availableConnectors())).toThrow(
      "the demo's bridges.irc is not valid",
    );
  });

  it('the banner names the rooms as aliases and where IRC clients connect', () => {
    const ctx = context();
    const text = banner(
      ctx,
      DEMO_PEERS,
      'http://127.0.0.1:8008',
      { userId: '@demo:localhost', localpart: 'demo', password: 'pw' },
      { synapse: 10, inspircd: 11 },
    );
    expect(text).toContain('  rooms       #irc_demo_#demo:localhost   (the IRC channel #demo)');
    expect(text).toContain('#echo_lobby:localhost');
    expect(text).toContain('  port        16999 (plain, no TLS)');
    expect(text).toContain('Started (PIDs): synapse 10, inspircd 11.');
  });
});
