/**
 * Runs the server scripts the tests use (test/peers/*.sh: install, start, stop by PID files), so
 * the demo and the tests share one way to install and start each server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DemoError } from './demo-error.js';

/** test/peers of the checkout this module runs from (src/demo or dist/src/demo), if there is one. */
export function findPeersDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const peers = join(dir, 'test', 'peers');
    if (existsSync(join(peers, 'synapse.sh'))) return peers;
    if (dirname(dir) === dir) return undefined;
  }
}

export class PeerScripts {
  /** The script running now (only one at a time), so that Ctrl-C can stop it. */
  private current?: ChildProcess;

  constructor(
    private readonly peersDir: string,
    /** Env for every script: PEERS_DIR and PATH. */
    private readonly baseEnv: NodeJS.ProcessEnv,
  ) {}

  static forState(stateDir: string): PeerScripts {
    const peersDir = findPeersDir();
    if (!peersDir)
      throw new DemoError(
        'switchboard demo runs from a clone of the repository (git clone, then npm install): ' +
          'it uses the server scripts in test/peers/, which this installation does not have',
      );
    // Debian puts daemons (inspircd) in /usr/sbin, which is not on a normal user's PATH.
    const path = [process.env.PATH ?? '/usr/bin:/bin', '/usr/sbin', '/sbin'].join(':');
    return new PeerScripts(peersDir, { ...process.env, PEERS_DIR: stateDir, PATH: path });
  }

  /**
   * Runs `bash test/peers/<script> <args>` with `env` added, its output going to this terminal.
   * In a process group of its own: the servers it starts in the background do not get the
   * terminal's Ctrl-C (the demo stops them itself, in order).
   */
  run(script: string, args: string[], env: Record<string, string> = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(this.peersDir, script), ...args], {
        env: { ...this.baseEnv, ...env },
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      this.current = child;
      child.once('error', (err) => reject(err));
      child.once('exit', (code, signal) => {
        if (this.current === child) this.current = undefined;
        if (code === 0) resolve();
        else
          reject(
            new DemoError(
              `${script} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}); see above`,
            ),
          );
      });
    });
  }

  /** SIGTERM to the running script's process group (it is ours: made by `run`). */
  interrupt(): void {
    const pid = this.current?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // it has just exited
    }
  }
}
