/**
 * A real InspIRCd for the benchmark, started and stopped (by PID) through the tests' own script,
 * test/peers/irc.sh, in a state folder of its own (flood limits off there, as the tests need).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../test/peers/irc.sh', import.meta.url));

export class IrcServer {
  private constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  static async start(port: number): Promise<IrcServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-irc-'));
    const env = {
      ...process.env,
      PEERS_DIR: dir,
      IRC_PORT: String(port),
      IRC_TLS_PORT: String(port + 30),
    };
    await run('bash', [SCRIPT, 'install'], { env });
    await run('bash', [SCRIPT, 'start'], { env });
    return new IrcServer(port, env, dir);
  }

  async stop(): Promise<void> {
    await run('bash', [SCRIPT, 'stop'], { env: this.env }).catch(() => undefined);
    // Only the mkdtemp folder made above, never a path from input.
    if (this.dir.startsWith(join(tmpdir(), 'sb-bench-irc-')))
      rmSync(this.dir, { recursive: true, force: true });
  }
}
