/**
 * `switchboard demo`: a whole bridged world on 127.0.0.1. Installs what is missing, starts the
 * demo peers' servers and Synapse, writes the config and registration, registers a Matrix user,
 * runs the bridge in this process and prints how to join. Ctrl-C (or SIGTERM, SIGHUP) stops
 * everything it started, in reverse order, by PID.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyConnector } from '../core/bridge-runtime.js';
import { ConfigError } from '../config/load.js';
import { StartupError } from '../core/startup-checks.js';
import { Switchboard } from '../core/switchboard.js';
import { createLogger } from '../observability/logger.js';
import { banner } from './banner.js';
import { demoConfigObject, writeDemoFiles } from './config.js';
import { DemoError } from './demo-error.js';
import { DemoHomeserver } from './homeserver.js';
import { CORE_PORTS, type DemoOptions } from './options.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';
import { assertPortsFree } from './ports.js';
import { PeerScripts } from './scripts.js';
import { StateLock } from './state-lock.js';

/** The Matrix user the demo registers (a fresh password each run). */
export const DEMO_USER = 'demo';

const say = (line: string) => console.log(`[demo] ${line}`);

class Interrupted extends Error {}

/** PIDs of the servers running from the state folder, by their PID files (`synapse.pid`, …). */
function serverPids(dir: string): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.pid') || name === 'demo.pid') continue;
    const pid = Number(readFileSync(join(dir, name), 'utf8').trim());
    if (pid > 0) pids[name.slice(0, -'.pid'.length)] = pid;
  }
  return pids;
}

function exitCodeOf(err: unknown): number {
  if (err instanceof DemoError || err instanceof StartupError) return err.exitCode;
  if (err instanceof ConfigError) return 2;
  return 1;
}

/** Runs the demo until a signal; resolves with the process exit code. */
export async function runDemo(
  opts: DemoOptions,
  peers: DemoPeer[],
  connectors: AnyConnector[],
): Promise<number> {
  const scripts = PeerScripts.forState(opts.dir);
  mkdirSync(opts.dir, { recursive: true });
  const lock = StateLock.take(opts.dir);
  const ctx: DemoPeerContext = { opts, scripts };
  const homeserver = new DemoHomeserver(opts, scripts);
  /** What to stop, in start order; registered before each start (a failed start may leave a PID). */
  const stops: [string, () => Promise<void>][] = [];
  let interrupted: string | undefined;
  let wake!: (signal: string) => void;
  const signalled = new Promise<string>((resolve) => (wake = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return say(`still stopping (${signal} again: wait, it stops by PID in order)`);
    interrupted = signal;
    scripts.interrupt();
    wake(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (interrupted) throw new Interrupted();
    if (what) say(what);
    return fn();
  };

  let code = 0;
  try {
    say(`state folder ${opts.dir}`);
    // Leftovers of a demo that was killed (by their PID files), before checking the ports.
    for (const peer of [...peers].reverse()) await peer.stop(ctx);
    await homeserver.stop();
    await assertPortsFree([...CORE_PORTS, ...peers.flatMap((p) => p.ports)], opts.ports);

    const t0 = Date.now();
    await step('installing what is missing (the first run takes a few minutes)', () =>
      homeserver.install(),
    );
    for (const peer of peers) await step('', () => peer.install(ctx));
    say(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    for (const peer of peers) {
      stops.push([peer.bridge, () => peer.stop(ctx)]);
      await step('', () => peer.start(ctx));
    }
    const admin = `@${DEMO_USER}:${opts.serverName}`;
    const database = join(opts.dir, 'switchboard.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(database + suffix, { force: true });
    const files = writeDemoFiles(opts, demoConfigObject(opts, peers, ctx, admin), connectors);
    say(`wrote ${files.configFile} and ${files.registrationFile}`);

    stops.push(['synapse', () => homeserver.stop()]);
    await step('starting Synapse (a fresh database each run)', () =>
      homeserver.start(files.registrationFile),
    );
    const user = await step('', () => homeserver.register(DEMO_USER));

    const log = createLogger({ level: opts.logLevel, pretty: true });
    const bridge = new Switchboard(files.config, connectors, log);
    stops.push(['the bridge', () => bridge.stop()]);
    await step('starting the bridge', () => bridge.start());
    if (interrupted) throw new Interrupted();
    console.log(banner(ctx, peers, homeserver.url, user, serverPids(opts.dir)));
    say(`stopping (${await signalled})`);
  } catch (err) {
    if (err instanceof Interrupted || interrupted) {
      say(`interrupted (${interrupted}): stopping what was started`);
      code = 130;
    } else {
      console.error(`\nswitchboard demo: ${(err as Error).message ?? String(err)}\n`);
      code = exitCodeOf(err);
    }
  } finally {
    for (const [name, stop] of stops.reverse()) {
      await stop().catch((err: unknown) =>
        console.error(`switchboard demo: stopping ${name}: ${(err as Error).message}`),
      );
    }
    lock.release();
    for (const s of signals) process.off(s, onSignal);
  }
  if (stops.length) say('everything it started is stopped');
  return code;
}
