// The IRC connection pool for the tests: `switchboard irc-pool` as a child process (as an admin
// runs it) on the test Redis that test/run.sh starts, with its own key prefix per test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { testConfig } from './bridge-harness.js';
import { cliArgs } from './cli-build.js';
import { waitFor } from './synapse.js';

export function redisUrl(): string {
  const url = process.env.SWITCHBOARD_TEST_REDIS_URL;
  if (!url)
    throw new Error(
      'Redis is not running: run `npm test` with redis in TEST_PEERS, which starts it (SWITCHBOARD_TEST_REDIS_URL is not set)',
    );
  return url;
}

export { freePort };

export interface PoolProcess {
  child: ChildProcess;
  httpPort: number;
  output(): string;
  /** SIGTERM, and waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

/** `switchboard irc-pool` with `bridges.irc.pool` = `pool`, healthy (GET /health 200) when this resolves. */
export async function startPoolProcess(
  pool: {
    redis: string;
    prefix: string;
    http_port?: number;
  },
  /** `bridges.irc.ident` of the config (the pool answers ident with it). */
  ident?: { enabled: boolean; port: number; address: string },
): Promise<PoolProcess> {
  const httpPort = pool.http_port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sb-pool-'));
  const config = testConfig({
    bridges: {
      irc: {
        enabled: true,
        networks: {},
        pool: { ...pool, http_port: httpPort },
        ...(ident ? { ident } : {}),
      },
    },
  });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify({ ...config, logging: { level: 'info' } }), { mode: 0o600 });
  const child = spawn(process.execPath, cliArgs('irc-pool', '-c', file), {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const proc: PoolProcess = {
    child,
    httpPort,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`irc-pool exited: ${output}`);
        const res = await fetch(`http://127.0.0.1:${httpPort}/health`);
        return res.status === 200;
      },
      30_000,
      'switchboard irc-pool to be healthy',
      100,
    );
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return proc;
}
