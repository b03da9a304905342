/**
 * An XMPP client in a process of its own (lib/xmpp-receiver-process.ts), noting when each
 * groupchat message reaches it: its times do not wait behind the benchmark process's own work
 * (the stand-in homeserver, the pusher, the other clients), which the in-process clients' do.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from './pusher.js';

const SCRIPT = fileURLToPath(new URL('./xmpp-receiver-process.ts', import.meta.url));

export type ToReceiver =
  | { type: 'start'; port: number; name: string; nick: string; rooms: string[] }
  | { type: 'arrivals'; prefix: string }
  | { type: 'stop' };
export type FromReceiver =
  | { type: 'ready' }
  | { type: 'arrivals'; entries: [string, number][] }
  | { type: 'error'; message: string };

export class XmppReceiver {
  private readonly waiting: ((msg: FromReceiver) => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (msg: FromReceiver) => {
      if (msg.type === 'error') console.error(`receiver process error: ${msg.message}`);
      this.waiting.shift()?.(msg);
    });
  }

  /** Logs in as `name` (a user of test/peers/xmpp.sh) and joins `rooms` as `nick`. */
  static async start(port: number, name: string, nick: string, rooms: string[]) {
    const child = fork(SCRIPT, [], { execArgv: process.execArgv, stdio: 'inherit' });
    const r = new XmppReceiver(child);
    const answer = await r.ask({ type: 'start', port, name, nick, rooms });
    if (answer.type !== 'ready') throw new Error('the receiver process did not start');
    return r;
  }

  private ask(msg: ToReceiver): Promise<FromReceiver> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(msg);
    });
  }

  /**
   * When each of `bodies` arrived (epoch ms), once all have (or after `timeoutMs`: those missing
   * are left out).
   */
  async arrivals(
    prefix: string,
    bodies: string[],
    timeoutMs = 30_000,
  ): Promise<Map<string, number>> {
    const got = new Map<string, number>();
    const end = performance.now() + timeoutMs;
    for (;;) {
      const answer = await this.ask({ type: 'arrivals', prefix });
      if (answer.type === 'arrivals') for (const [b, at] of answer.entries) got.set(b, at);
      if (bodies.every((b) => got.has(b)) || performance.now() > end) return got;
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' } satisfies ToReceiver);
    await Promise.race([exited, sleep(5_000).then(() => this.child.kill())]);
  }
}
