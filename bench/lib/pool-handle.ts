/** The IRC pool under test, in a child process of its own (bench/pool-process.ts), driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiledChild } from './compiled-child.js';
import type { FromPool, ToPool } from '../pool-process.js';

const POOL_SCRIPT = fileURLToPath(new URL('../pool-process.ts', import.meta.url));

export class PoolProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((msg: FromPool) => void)[] = [];
  private exited = false;

  constructor() {
    const profDir = process.env.SWITCHBOARD_BENCH_CPU_PROF;
    const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const { script, execArgv } = compiledChild(POOL_SCRIPT);
    this.child = fork(script, [], {
      execArgv: [...execArgv, ...prof],
      stdio: 'inherit',
    });
    this.child.on('message', (msg: FromPool) => {
      if (msg.type === 'error') console.error(`pool process error: ${msg.message}`);
      else this.waiting.shift()?.(msg);
    });
    this.child.on('exit', () => (this.exited = true));
  }

  ask<T extends FromPool['type']>(
    msg: ToPool,
    expect: T,
    timeoutMs = 60_000,
  ): Promise<Extract<FromPool, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`pool process: no ${expect} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push((answer) => {
        clearTimeout(timer);
        if (answer.type !== expect)
          reject(new Error(`pool process: expected ${expect}, got ${answer.type}`));
        else resolve(answer as Extract<FromPool, { type: T }>);
      });
      this.child.send(msg);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ type: 'stop' }, 'stopped', 60_000).catch(() => this.child.kill());
    await exited;
  }
}
