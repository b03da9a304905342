/**
 * A real Prosody for the benchmark, started and stopped (by PID) through the tests' own script,
 * test/peers/xmpp.sh, in a state folder of its own (mkdtemp) with its own ports: the component
 * `matrix.localhost` (secret `matrixsecret`), the MUC service `conference.localhost` and the users
 * alice, bob, carol and dave @localhost (password `<name>-pw`), and a second component
 * `plain.localhost` (secret `plainsecret`) for lib/xmpp-plain-component.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../test/peers/xmpp.sh', import.meta.url));

export class XmppServer {
  private constructor(
    readonly c2sPort: number,
    readonly componentPort: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  /** Ports: clients on `c2sPort`, the component on `c2sPort + 125`, HTTP upload on `+ 58`. */
  /**
   * `nagle`: Prosody's `network_settings.nagle` (test/peers/xmpp.sh XMPP_NAGLE); `writes`:
   * `opportunistic` sets `network_settings.opportunistic_writes` (XMPP_OPPORTUNISTIC_WRITES);
   * `archive`: the MUC archive (XMPP_MUC_ARCHIVE).
   */
  static async start(
    c2sPort: number,
    nagle: 'on' | 'off' = 'off',
    writes: 'deferred' | 'opportunistic' = 'deferred',
    archive: 'on' | 'off' = 'off',
  ): Promise<XmppServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-xmpp-'));
    const componentPort = c2sPort + 125;
    const env = {
      ...process.env,
      PEERS_DIR: dir,
      XMPP_C2S_PORT: String(c2sPort),
      XMPP_COMPONENT_PORT: String(componentPort),
      XMPP_HTTP_PORT: String(c2sPort + 58),
      // No MUC archive: with Prosody's file storage each archived message costs more as the
      // archive grows, which made the phases run later ten times slower (bench/README.md). On
      // (`--muc-archive on`), as an admin who wants MAM catch-up runs it: each message then
      // carries the room's stanza-id, which the bridge remembers.
      XMPP_MUC_ARCHIVE: archive,
      XMPP_NAGLE: nagle,
      XMPP_OPPORTUNISTIC_WRITES: writes === 'opportunistic' ? 'on' : 'off',
      // `plain.localhost` (secret `plainsecret`): the benchmark's plain component sender.
      XMPP_PLAIN_COMPONENT: 'on',
    };
    await run('bash', [SCRIPT, 'install'], { env });
    await run('bash', [SCRIPT, 'start'], { env });
    return new XmppServer(c2sPort, componentPort, env, dir);
  }

  /** Prosody's process id. */
  pid(): number {
    return Number(readFileSync(join(this.dir, 'prosody.pid'), 'utf8').trim());
  }

  /**
   * Prosody's CPU time so far (user + system, ms; Linux /proc, in clock ticks of 10 ms), or NaN
   * where it cannot be read.
   */
  cpuMs(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid()}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return NaN;
    }
  }

  async stop(): Promise<void> {
    await run('bash', [SCRIPT, 'stop'], { env: this.env }).catch(() => undefined);
    // Only the mkdtemp folder made above, never a path from input.
    if (this.dir.startsWith(join(tmpdir(), 'sb-bench-xmpp-')))
      rmSync(this.dir, { recursive: true, force: true });
  }
}
