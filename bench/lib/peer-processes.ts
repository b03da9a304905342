/**
 * `bench:sip-media --peer-processes N` (N > 1): the calls' phones and Matrix clients in N child
 * processes (peer-child.ts), each pacing its own share on its own event loop, as separate devices
 * do: one stalled loop no longer sends a hundred calls' frames at once. This process keeps what
 * is central (sip.js signalling, the stand-in homeserver, the wire capture, the report): a phone
 * here is a sip.js SessionDescriptionHandler whose SDP comes from its process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BodyAndContentType, SessionDescriptionHandler } from 'sip.js';
import type { Load } from './media-window.js';
import {
  fromPeer,
  mergeStreams,
  parseMessage,
  processOf,
  type FromPeer,
  type ToPeer,
} from './peer-protocol.js';
import { round } from './stats.js';

const CHILD = fileURLToPath(new URL('./peer-child.ts', import.meta.url));
type Results = Extract<FromPeer, { type: 'results' }>;
// Every message to a child but its request number, which `ask` gives (Omit over each member).
type WithoutReq<M> = M extends unknown ? Omit<M, 'req'> : never;
type Request = WithoutReq<ToPeer>;

class PeerChild {
  readonly process: ChildProcess;
  private readonly waiting = new Map<number, (msg: FromPeer) => void>();
  private nextReq = 1;

  constructor(index: number) {
    // This process's node flags (tsx's loader): the peers run as this process's did.
    this.process = fork(CHILD, [String(index)], { execArgv: process.execArgv, stdio: 'inherit' });
    this.process.on('message', (raw: unknown) => {
      const msg = parseMessage(fromPeer, raw, `peer process ${index}`);
      this.waiting.get(msg.req)?.(msg);
      this.waiting.delete(msg.req);
    });
  }

  ask<T extends FromPeer['type']>(
    msg: Request,
    expect: T,
    timeoutMs = 120_000,
  ): Promise<Extract<FromPeer, { type: T }>> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer process: no ${expect}`)), timeoutMs);
      this.waiting.set(req, (answer) => {
        clearTimeout(timer);
        if (answer.type === expect) resolve(answer as Extract<FromPeer, { type: T }>);
        else reject(new Error(`peer process: ${JSON.stringify(answer).slice(0, 300)}`));
      });
      this.process.send({ ...msg, req });
    });
  }
}

export class PeerProcesses implements Load {
  private readonly children: PeerChild[];
  private phones = 0;
  private matrix = 0;
  private last?: Results[];

  constructor(n: number) {
    this.children = Array.from({ length: n }, (_, i) => new PeerChild(i));
  }

  get pids(): number[] {
    return this.children.map((c) => c.process.pid!);
  }

  /** A phone for sip.js: its offer from the next process in turn, the bridge's answer to it. */
  phone(): SessionDescriptionHandler {
    const end = this.phones++;
    const child = this.children[processOf(end, this.children.length)]!;
    return {
      getDescription: async (): Promise<BodyAndContentType> => ({
        contentType: 'application/sdp',
        body: (await child.ask({ type: 'phone', end }, 'sdp')).sdp,
      }),
      hasDescription: (contentType) => contentType === 'application/sdp',
      setDescription: async (sdp) => {
        await child.ask({ type: 'phone-answer', end, sdp }, 'done');
      },
      sendDtmf: () => false,
      close: () => undefined,
    };
  }

  /** A Matrix client answering the bridge's offer, in the next process in turn. */
  async answer(offer: string): Promise<string> {
    const child = this.children[processOf(this.matrix++, this.children.length)]!;
    return (await child.ask({ type: 'matrix', offer }, 'sdp')).sdp;
  }

  get matrixClients(): number {
    return this.matrix;
  }

  /** Waits for the WebRTC legs: the phones with media, the Matrix clients and those that failed. */
  async connected(ms: number): Promise<{ phones: number; matrix: number; failed: number }> {
    const all = await Promise.all(
      this.children.map((c) => c.ask({ type: 'connected', ms }, 'connected', ms + 10_000)),
    );
    const sum = (k: 'phones' | 'matrix' | 'failed') => all.reduce((n, r) => n + r[k], 0);
    return { phones: sum('phones'), matrix: sum('matrix'), failed: sum('failed') };
  }

  async pace(on: boolean): Promise<void> {
    await Promise.all(this.children.map((c) => c.ask({ type: 'pace', on }, 'done')));
  }

  async measure(on: boolean): Promise<void> {
    await Promise.all(this.children.map((c) => c.ask({ type: 'measure', on }, 'done')));
  }

  async streams() {
    this.last = await Promise.all(this.children.map((c) => c.ask({ type: 'results' }, 'results')));
    return mergeStreams(
      this.last.flatMap((r) => r.sent),
      this.last.map((r) => r.arrivals),
    );
  }

  /** Packets sent while measuring, both ways (the last `streams()`). */
  get sentMeasured(): number {
    return (this.last ?? []).flatMap((r) => r.sent).reduce((n, s) => n + s.sentMeasured, 0);
  }

  /** One line: each process's CPU and event loop over the window. */
  describe(log: (line: string) => void): void {
    log(
      `  the ${this.children.length} peer processes over the window: ` +
        (this.last ?? [])
          .map(
            (r, i) =>
              `${i + 1}: ${round(r.corePercent)} % of a core, event loop delay p99 ${round(r.loopMs.p99, 2)} / max ${round(r.loopMs.max, 1)} ms`,
          )
          .join('; '),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        await c.ask({ type: 'close' }, 'done', 10_000).catch(() => undefined);
        c.process.kill();
      }),
    );
  }
}
