/** What `switchboard demo` can be told: state folder, server name and every port, with defaults. */
import { resolve, join } from 'node:path';
import { DemoError } from './demo-error.js';

/** A TCP port the demo listens on, and the flag that moves it. */
export interface DemoPort {
  /** Key in `DemoOptions.ports`. */
  key: string;
  /** The command-line flag, `--irc-port`. */
  flag: string;
  /** What listens there, for help and errors: `the IRC server (InspIRCd)`. */
  what: string;
  default: number;
}

export interface DemoOptions {
  /** Absolute path of the state folder (`.demo` under the current directory by default). */
  dir: string;
  /** The homeserver's server name: the part after the colon in user ids. */
  serverName: string;
  /** Every port by key: `homeserver`, `bridge`, and each demo peer's. */
  ports: Record<string, number>;
  /** The Python venv Synapse is installed in (reused when it has the pinned version). */
  synapseVenv: string;
  /** The bridge's log level. */
  logLevel: string;
}

/** The ports of the demo itself; demo peers add theirs. */
export const CORE_PORTS: DemoPort[] = [
  { key: 'homeserver', flag: '--hs-port', what: 'the homeserver (Synapse)', default: 8008 },
  { key: 'bridge', flag: '--bridge-port', what: 'the bridge (appservice listener)', default: 9000 },
];

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Commander's camelCase name of a flag: `--irc-port` → `ircPort`. */
export const optionName = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DemoError(`${flag} must be a TCP port (1-65535), not "${value}"`, 2);
  return port;
}

export interface RawDemoOptions {
  dir?: string;
  serverName?: string;
  synapseVenv?: string;
  logLevel?: string;
  [flag: string]: string | undefined;
}

/** The options from commander's parsed flags (strings), with defaults and `SYNAPSE_VENV`. */
export function resolveOptions(
  raw: RawDemoOptions,
  ports: DemoPort[],
  env: NodeJS.ProcessEnv = process.env,
): DemoOptions {
  const dir = resolve(raw.dir ?? '.demo');
  const serverName = raw.serverName ?? 'localhost';
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(serverName))
    throw new DemoError(`--server-name must be a host name like localhost, not "${serverName}"`, 2);
  const byKey: Record<string, number> = {};
  for (const p of ports) {
    const value = raw[optionName(p.flag)];
    byKey[p.key] = value === undefined ? p.default : parsePort(value, p.flag);
  }
  const seen = new Map<number, DemoPort>();
  for (const p of ports) {
    const other = seen.get(byKey[p.key]!);
    if (other)
      throw new DemoError(
        `${other.flag} and ${p.flag} are both ${byKey[p.key]}: each needs a port of its own`,
        2,
      );
    seen.set(byKey[p.key]!, p);
  }
  const logLevel = raw.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new DemoError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`,
      2,
    );
  return {
    dir,
    serverName,
    ports: byKey,
    synapseVenv: resolve(raw.synapseVenv ?? env.SYNAPSE_VENV ?? join(dir, 'synapse-venv')),
    logLevel,
  };
}
