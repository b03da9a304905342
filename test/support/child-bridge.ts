// The real `switchboard start` as a child process (for kill -9 and SIGTERM tests), with its PID
// kept so only this process is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify as toYaml } from 'yaml';
import { testConfig, type HarnessOptions } from './bridge-harness.js';
import { cliArgs } from './cli-build.js';
import { testRegistration, waitFor } from './synapse.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildBridge {
  proc: ChildProcess;
  dbPath: string;
  exited: Promise<void>;
  log(): string;
  /** The inbox state of an event in the child's SQLite file, read-only (the child may be writing). */
  inboxState(eventId: string): string | undefined;
  /** SIGKILL, if still running; for afterAll. */
  kill(): Promise<void>;
}

export async function startChildBridge(opts: HarnessOptions = {}): Promise<ChildBridge> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-child-'));
  const dbPath = join(dir, 'switchboard.db');
  const logPath = join(dir, 'bridge.log');
  const config = testConfig({ ...opts, database: dbPath });
  config.logging = { level: process.env.SWITCHBOARD_TEST_LOG === 'silent' ? 'silent' : 'debug' };
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, toYaml(config), { mode: 0o600 });

  const out = openSync(logPath, 'w');
  const proc = spawn(process.execPath, cliArgs('start', '-c', configPath), {
    cwd: REPO,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const log = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-4000);
    } catch {
      return '(no log)';
    }
  };
  const child: ChildBridge = {
    proc,
    dbPath,
    exited,
    log,
    inboxState(eventId) {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return (
          db.prepare('select state from inbox where event_id = ?').get(eventId) as
            { state: string } | undefined
        )?.state;
      } finally {
        db.close();
      }
    },
    async kill() {
      if (proc.pid && running()) {
        process.kill(proc.pid, 'SIGKILL');
        await exited;
      }
    },
  };
  const { url } = testRegistration();
  await waitFor(
    async () => {
      if (!running())
        throw new Error(`the bridge exited (${proc.exitCode ?? proc.signalCode}):\n${log()}`);
      return (await fetch(`${url}/ready`)).status === 200;
    },
    45_000,
    'the child bridge to be ready',
    100,
  ).catch(async (err: Error) => {
    await child.kill();
    throw new Error(`${err.message}\n--- bridge log ---\n${log()}`);
  });
  return child;
}
