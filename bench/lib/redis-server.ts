/** A real Redis for the benchmark, started and stopped (by PID) through the tests' own script, test/peers/redis.sh. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../test/peers/redis.sh', import.meta.url));

export class RedisServer {
  private constructor(
    readonly url: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  static async start(port: number): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-redis-'));
    const env = { ...process.env, PEERS_DIR: dir, REDIS_PORT: String(port) };
    await run('bash', [SCRIPT, 'install'], { env });
    await run('bash', [SCRIPT, 'start'], { env });
    return new RedisServer(`redis://127.0.0.1:${port}`, env, dir);
  }

  async stop(): Promise<void> {
    await run('bash', [SCRIPT, 'stop'], { env: this.env }).catch(() => undefined);
    // Only the mkdtemp folder made above, never a path from input.
    if (this.dir.startsWith(join(tmpdir(), 'sb-bench-redis-')))
      rmSync(this.dir, { recursive: true, force: true });
  }
}
