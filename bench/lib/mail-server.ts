/**
 * Real Dovecot (IMAP + LMTP) and OpenSMTPD for the email benchmark, started and stopped (by PID)
 * through the tests' own script, test/peers/mail.sh, in a state folder of its own, on the
 * script's ports (OpenSMTPD runs once per machine: not beside a test run of the mail servers).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../test/peers/mail.sh', import.meta.url));

export class MailServer {
  private constructor(
    readonly imapPort: number,
    readonly lmtpPort: number,
    readonly smtpPort: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  static async start(): Promise<MailServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-mail-'));
    const env = { ...process.env, PEERS_DIR: dir };
    await run('bash', [SCRIPT, 'install'], { env });
    await run('bash', [SCRIPT, 'start'], { env });
    const { stdout } = await run('bash', [SCRIPT, 'env'], { env });
    const port = (name: string) => {
      const m = new RegExp(`${name}=(\\d+)`).exec(stdout);
      if (!m) throw new Error(`mail.sh env gave no ${name}`);
      return Number(m[1]);
    };
    return new MailServer(
      port('SWITCHBOARD_TEST_MAIL_IMAP_PORT'),
      port('SWITCHBOARD_TEST_MAIL_LMTP_PORT'),
      port('SWITCHBOARD_TEST_MAIL_SMTP_PORT'),
      env,
      dir,
    );
  }

  async stop(): Promise<void> {
    await run('bash', [SCRIPT, 'stop'], { env: this.env }).catch(() => undefined);
    // Only the mkdtemp folder made above, never a path from input.
    if (this.dir.startsWith(join(tmpdir(), 'sb-bench-mail-')))
      rmSync(this.dir, { recursive: true, force: true });
  }
}
