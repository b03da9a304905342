/**
 * The demo's config.yaml and registration.yaml, made with the project's own schema and
 * registration code, so that the demo's config is always one `switchboard start` takes.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AnyConnector } from '../core/bridge-runtime.js';
import { describeIssues, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { registrationYaml } from '../core/registration.js';
import type { DemoOptions } from './options.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';

const token = () => randomBytes(32).toString('base64url');

export interface DemoFiles {
  config: Config;
  configFile: string;
  registrationFile: string;
}

/** The config as written: fresh tokens, everything on 127.0.0.1, the peers' bridge sections. */
export function demoConfigObject(
  opts: DemoOptions,
  peers: DemoPeer[],
  ctx: DemoPeerContext,
  admin: string,
): Record<string, unknown> {
  const bridgeUrl = `http://127.0.0.1:${opts.ports.bridge}`;
  return {
    homeserver: { url: `http://127.0.0.1:${opts.ports.homeserver}`, domain: opts.serverName },
    appservice: {
      id: 'switchboard',
      bind: '127.0.0.1',
      port: opts.ports.bridge,
      url: bridgeUrl,
      as_token: token(),
      hs_token: token(),
    },
    database: join(opts.dir, 'switchboard.db'),
    admins: [admin],
    logging: { level: opts.logLevel, pretty: true },
    bridges: Object.fromEntries(peers.map((p) => [p.bridge, { enabled: true, ...p.section(ctx) }])),
  };
}

/** Each peer's section against its connector's own schema: a demo peer bug shows here, not later. */
export function checkBridgeSections(config: Config, connectors: AnyConnector[]): void {
  for (const [id, section] of Object.entries(config.bridges)) {
    const connector = connectors.find((c) => c.id === id);
    if (!connector) throw new Error(`demo peer for bridge ${id}, which this build does not have`);
    const { enabled: _enabled, prefix: _prefix, ...own } = section;
    const parsed = connector.configSchema.safeParse(own);
    if (!parsed.success)
      throw new Error(
        `the demo's bridges.${id} is not valid:\n${describeIssues(parsed.error.issues, `bridges.${id}`).join('\n')}`,
      );
  }
}

/** Writes both files (mode 0600: they hold the tokens) and reads the config back through loadConfig. */
export function writeDemoFiles(
  opts: DemoOptions,
  raw: Record<string, unknown>,
  connectors: AnyConnector[],
): DemoFiles {
  const configFile = join(opts.dir, 'config.yaml');
  const registrationFile = join(opts.dir, 'registration.yaml');
  writeFileSync(
    configFile,
    `# Written by \`switchboard demo\` (fresh tokens each run). Also runs as: switchboard start -c ${configFile}\n${stringify(raw)}`,
    { mode: 0o600 },
  );
  const config = loadConfig(configFile);
  checkBridgeSections(config, connectors);
  writeFileSync(registrationFile, registrationYaml(config), { mode: 0o600 });
  return { config, configFile, registrationFile };
}
