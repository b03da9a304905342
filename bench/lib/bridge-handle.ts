/** The bridge under test, in a child process of its own (bench/bridge-process.ts), driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiledChild } from './compiled-child.js';
import type { FromBridge, ToBridge } from '../bridge-process.js';

const BRIDGE_SCRIPT = fileURLToPath(new URL('../bridge-process.ts', import.meta.url));

export class BridgeProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((msg: FromBridge) => void)[] = [];
  private exited = false;

  constructor() {
    const profDir = process.env.SWITCHBOARD_BENCH_CPU_PROF;
    const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    // More node flags for the bridge process and its worker threads, e.g. `--trace-gc`.
    const extra = (process.env.SWITCHBOARD_BENCH_BRIDGE_NODE_ARGS ?? '')
      .split(/\s+/)
      .filter(Boolean);
    const { script, execArgv } = compiledChild(BRIDGE_SCRIPT);
    this.child = fork(script, [], {
      execArgv: [...execArgv, '--expose-gc', ...prof, ...extra],
      stdio: 'inherit',
    });
    this.child.on('message', (msg: FromBridge) => {
      if (msg.type === 'error') {
        console.error(`bridge process error: ${msg.message}`);
        return;
      }
      this.waiting.shift()?.(msg);
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      if (code) console.error(`bridge process exited with ${code}`);
    });
  }

  /** Sends one command and waits for its answer. */
  ask<T extends FromBridge['type']>(
    msg: ToBridge,
    expect: T,
    timeoutMs = 60_000,
  ): Promise<Extract<FromBridge, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bridge process: no ${expect} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push((answer) => {
        clearTimeout(timer);
        if (answer.type !== expect)
          reject(new Error(`bridge process: expected ${expect}, got ${answer.type}`));
        else resolve(answer as Extract<FromBridge, { type: T }>);
      });
      this.child.send(msg);
    });
  }

  /** The bridge process's id (its threads' figures, CPU pinning). */
  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ type: 'stop' }, 'stopped', 30_000).catch(() => this.child.kill());
    await exited;
  }
}
