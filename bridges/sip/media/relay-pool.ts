/**
 * The media threads of the bridge and the main thread's handle on each call's relay. Each relay
 * lives on one media thread (a worker thread: relay-worker.ts) with its sockets, so that its
 * per-packet work (SRTP, ICE, RTP) never waits behind the bridge's signalling and Matrix traffic,
 * and the calls are spread over the threads (the one with the fewest takes the next call). The
 * call control talks to it by messages: the SDP steps, candidates, DTMF, its figures, its end.
 * `threads: 0` runs the relays on the main thread instead (same messages, no worker).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { CallQuality, MediaStats, RelayOptions } from './relay.js';
import type { FromHost, LoopDelay, RelayMethod, RelayState, ToHost } from './relay-protocol.js';

const zeroQuality = { received: 0, expected: 0, lost: 0, lossRatio: 0, jitterMs: 0 };

/** One call's relay, seen from the call control. */
export class RelayHandle {
  stats: MediaStats = {
    toSip: { packets: 0, bytes: 0 },
    toMatrix: { packets: 0, bytes: 0 },
    foreign: 0,
    held: 0,
  };
  quality: CallQuality = { toSip: { ...zeroQuality }, toMatrix: { ...zeroQuality } };
  /** Whether `!dtmf` digits can go in the media: the phone negotiated telephone-events. */
  sendsDigits = false;
  /** A DTMF digit the phone sent in the media (RFC 4733), once per key press. */
  onDigit?: (digit: string) => void;
  /** Why its media thread stopped, once it has: the call carries no audio any more. */
  lost?: string;
  private lostListener?: (why: string) => void;
  private closing?: Promise<void>;

  constructor(
    private readonly thread: MediaThread,
    readonly id: number,
  ) {}

  /** `listener` is told once if the media thread holding this relay stops (at once if it has). */
  whenLost(listener: (why: string) => void): void {
    this.lostListener = listener;
    const why = this.lost;
    if (why !== undefined) queueMicrotask(() => listener(why));
  }

  /** Its media thread stopped (an uncaught error in it): its sockets and WebRTC peer are gone. */
  threadLost(why: string): void {
    if (this.lost !== undefined || this.closing) return;
    this.lost = why;
    this.lostListener?.(why);
  }

  update(state: RelayState): void {
    this.stats = state.stats;
    this.quality = state.quality;
    this.sendsDigits = state.sendsDigits;
  }

  private step<T>(method: RelayMethod, ...args: unknown[]): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the call media has ended'));
    return this.thread.ask<T>({ op: 'call', id: this.id, method, args }, this);
  }

  /** Takes the Matrix offer; returns the plain SDP offer for the INVITE. */
  matrixOffered = (offer: string) => this.step<string>('matrixOffered', offer);
  /** Takes the SIP answer (the 200 OK's SDP); returns the WebRTC answer for m.call.answer. */
  sipAnswered = (answer: string) => this.step<string>('sipAnswered', answer);
  /** Takes the INVITE's SDP; returns the WebRTC offer for m.call.invite. */
  sipOffered = (offer: string) => this.step<string>('sipOffered', offer);
  /** Takes the Matrix answer; returns the plain SDP for the 200 OK. */
  matrixAnswered = (answer: string) => this.step<string>('matrixAnswered', answer);
  /** A Matrix re-offer (m.call.negotiate); returns the plain SDP offer for the re-INVITE. */
  matrixReoffered = (offer: string) => this.step<string>('matrixReoffered', offer);
  /** The SIP answer to that re-INVITE (undefined: refused); returns the WebRTC answer. */
  sipReanswered = (answer: string | undefined) => this.step<string>('sipReanswered', answer);
  /** A re-INVITE from the phone; returns the plain SDP answer for its 200. */
  sipReoffered = (offer: string) => this.step<string>('sipReoffered', offer);
  /** The WebRTC re-offer for m.call.negotiate after a SIP re-offer. */
  matrixReoffer = () => this.step<string>('matrixReoffer');
  /** The Matrix answer (m.call.negotiate) to that re-offer. */
  matrixReanswered = (answer: string) => this.step<void>('matrixReanswered', answer);
  /** Candidates the Matrix client trickled (`m.call.candidates`). */
  addCandidates = (candidates: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }[]) =>
    this.step<void>('addCandidates', candidates);
  /** DTMF digits as RFC 4733 telephone-events toward the phone. */
  sendDigits = (digits: string) => this.step<void>('sendDigits', digits);

  /** Ends the relay; resolves once its final figures (`stats`, `quality`) are in. */
  close(): Promise<void> {
    this.closing ??= this.thread
      .ask<void>({ op: 'close', id: this.id }, this)
      .catch(() => undefined)
      .finally(() => this.thread.forget(this));
    return this.closing;
  }
}

type Ask =
  | { op: 'call'; id: number; method: RelayMethod; args: unknown[] }
  | { op: 'close'; id: number }
  | { op: 'loop'; reset: boolean };

/** One media thread (or the main thread, for `threads: 0`) and the relays it holds. */
class MediaThread {
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; handle?: RelayHandle }
  >();
  readonly handles = new Map<number, RelayHandle>();
  private nextReq = 1;
  private readonly send: (msg: ToHost) => void;
  private readonly stopHost: () => Promise<void>;
  /** Ends the worker as an uncaught error in it would (tests); undefined on the main thread. */
  readonly crash?: () => Promise<void>;
  /** The worker's V8 heap limits as in force (undefined on the main thread). */
  readonly limits?: () => Partial<ResourceLimits>;
  dead = false;

  constructor(
    readonly name: string,
    /** On the main thread (`threads: 0`), a worker thread, or a child process (`process: true`). */
    where: 'main' | 'worker' | 'process',
    private readonly log: Logger,
    priority?: number,
    realtime?: number,
    youngMb?: number,
  ) {
    if (where === 'process') {
      const child = startProcess(name, priority, realtime, youngMb);
      let exited = false;
      const exit = new Promise<void>((resolve) =>
        child.once('exit', () => {
          exited = true;
          resolve();
        }),
      );
      child.on('message', (msg: FromHost) => this.receive(msg));
      child.on('error', (err) => this.died(err));
      child.on('exit', (code, signal) =>
        this.died(new Error(`the media process exited (${signal ?? code})`)),
      );
      this.send = (msg) => {
        if (child.connected) child.send(msg);
      };
      const kill = async () => {
        if (!exited) child.kill('SIGKILL');
        await exit;
      };
      this.crash = kill;
      this.limits = () => (youngMb !== undefined ? { maxYoungGenerationSizeMb: youngMb } : {});
      this.stopHost = async () => {
        this.dead = true;
        // Closing the channel ends it (relay-process.ts); a process that hangs is killed.
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => void kill(), 5000);
        await exit;
        clearTimeout(timer);
      };
      return;
    }
    if (where === 'main') {
      const receive = (msg: FromHost) => this.receive(msg);
      // The relays' code is loaded only when asked for: a worker-threaded bridge never loads
      // werift on its main thread.
      const host = import('./relay-host.js').then(
        ({ RelayHost }) =>
          new RelayHost((msg) => queueMicrotask(() => receive(structuredClone(msg)))),
      );
      this.send = (msg) => void host.then((h) => h.handle(msg));
      this.stopHost = () => host.then((h) => h.stop());
      return;
    }
    const worker = startWorker(name, priority, realtime, youngMb);
    worker.on('message', (msg: FromHost) => this.receive(msg));
    worker.on('error', (err) => this.died(err));
    worker.on('exit', (code) => this.died(new Error(`the media thread exited (${code})`)));
    this.send = (msg) => worker.postMessage(msg);
    this.crash = async () => void (await worker.terminate());
    this.limits = () => worker.resourceLimits ?? {};
    this.stopHost = async () => {
      this.dead = true;
      await worker.terminate();
    };
  }

  get load(): number {
    return this.handles.size;
  }

  open(id: number, options: RelayOptions): RelayHandle {
    const handle = new RelayHandle(this, id);
    this.handles.set(id, handle);
    this.send({ op: 'open', id, options });
    return handle;
  }

  forget(handle: RelayHandle): void {
    this.handles.delete(handle.id);
  }

  ask<T>(msg: Ask, handle?: RelayHandle): Promise<T> {
    if (this.dead) return Promise.reject(new Error('the media thread has stopped'));
    const req = this.nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req, { resolve: resolve as (v: unknown) => void, reject, handle });
      this.send({ ...msg, req });
    });
  }

  private receive(msg: FromHost): void {
    switch (msg.kind) {
      case 'reply': {
        const p = this.pending.get(msg.req);
        if (!p) return;
        this.pending.delete(msg.req);
        if (msg.state) p.handle?.update(msg.state);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.value);
        return;
      }
      case 'digit':
        return this.handles.get(msg.id)?.onDigit?.(msg.digit);
      case 'figures':
        for (const [id, state] of msg.relays) this.handles.get(id)?.update(state);
        return;
      case 'fatal':
        return this.died(new Error(msg.error));
    }
  }

  private died(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.log.error({ err: err.message, thread: this.name }, 'media thread stopped');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    // Their media is gone with the thread: each call is told, to hang up (sip-calls.ts).
    for (const handle of this.handles.values()) handle.threadLost(err.message);
  }

  stop(): Promise<void> {
    return this.stopHost();
  }
}

/**
 * The worker of a media thread. Built, it is relay-worker.js beside this file; run from the
 * TypeScript sources (tests, benchmarks), tsx's loader compiles relay-worker.ts in the worker.
 */
function startWorker(
  name: string,
  priority: number | undefined,
  realtime: number | undefined,
  youngMb: number | undefined,
): Worker {
  const self = import.meta.url;
  const workerData = { priority, realtime };
  // The thread's own V8 heap: its young generation's size bounds how much garbage a scavenge
  // waits for (`media.young_generation_mb`).
  const resourceLimits = youngMb !== undefined ? { maxYoungGenerationSizeMb: youngMb } : {};
  if (self.endsWith('.js'))
    return new Worker(new URL('./relay-worker.js', self), { name, workerData, resourceLimits });
  const script = new URL('./relay-worker.ts', self).href;
  // tsx's ESM API (its `import` export; require.resolve would give the CommonJS one).
  const tsxDir = dirname(createRequire(self).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(script)}, ${JSON.stringify(script)}));`;
  return new Worker(boot, { eval: true, name, workerData, resourceLimits });
}

/**
 * A media process: relay-process.js beside this file, or from the TypeScript sources with tsx's
 * loader. Its V8 collects garbage on its one thread (no helper threads for a real-time thread to
 * wait for); `media.young_generation_mb` sizes its semi-spaces (a third of the young generation
 * each, as V8 sizes a worker's).
 */
function startProcess(
  name: string,
  priority: number | undefined,
  realtime: number | undefined,
  youngMb: number | undefined,
): ChildProcess {
  const self = import.meta.url;
  const built = self.endsWith('.js');
  const script = new URL(built ? './relay-process.js' : './relay-process.ts', self);
  const v8 = [
    '--single-threaded-gc',
    ...(youngMb !== undefined
      ? [`--max-semi-space-size=${Math.max(1, Math.round(youngMb / 3))}`]
      : []),
  ];
  const loader = built
    ? []
    : [
        '--import',
        pathToFileURL(
          join(dirname(createRequire(self).resolve('tsx/package.json')), 'dist/loader.mjs'),
        ).href,
      ];
  return fork(script, [name], {
    execArgv: [...loader, ...v8],
    serialization: 'advanced',
    env: { ...process.env, SWITCHBOARD_SIP_MEDIA: JSON.stringify({ priority, realtime }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The bridge's media threads: each new call's relay goes to the least loaded one. */
export class RelayPool {
  private threads: MediaThread[] = [];
  private nextId = 1;

  constructor(
    private readonly options: RelayOptions,
    private readonly size: number,
    private readonly log: Logger,
    /** `media.priority`: each media thread's nice value (undefined: the process's own). */
    private readonly priority?: number,
    /** `media.realtime`: each media thread's SCHED_RR priority (undefined: none). */
    private readonly realtime?: number,
    /** `media.young_generation_mb`: each media thread's young generation, MB (undefined: V8's). */
    private readonly youngMb?: number,
    /** `media.process`: each media thread a child process of its own (V8 of its own). */
    private readonly processes = false,
  ) {}

  /**
   * Starts every media thread and waits until each has loaded the relay's code (werift): the
   * first calls do not wait for it (a phone's INVITE would go unanswered meanwhile).
   */
  async start(): Promise<void> {
    while (this.live().length < Math.max(1, this.size)) this.spawn();
    await this.loopDelay(false);
  }

  /** A new call's relay. */
  open(): RelayHandle {
    this.threads = this.threads.filter((t) => !t.dead || t.load > 0);
    const live = this.live();
    const thread =
      live.length < Math.max(1, this.size)
        ? this.spawn()
        : live.reduce((a, b) => (b.load < a.load ? b : a));
    return thread.open(this.nextId++, this.options);
  }

  private live(): MediaThread[] {
    return this.threads.filter((t) => !t.dead);
  }

  private spawn(): MediaThread {
    const thread = new MediaThread(
      `sip-media-${this.threads.length + 1}`,
      this.size === 0 ? 'main' : this.processes ? 'process' : 'worker',
      this.log,
      this.priority,
      this.realtime,
      this.youngMb,
    );
    this.threads.push(thread);
    return thread;
  }

  /**
   * Ends the live media thread number `index` (from 0) as an uncaught error in it would: its
   * calls' relays are lost (tests of what the calls do then).
   */
  async crashThread(index: number): Promise<void> {
    const thread = this.live()[index];
    if (!thread?.crash) throw new Error(`no media thread ${index} to crash`);
    await thread.crash();
  }

  /** Each live media thread's V8 heap limits as in force (none with `threads: 0`). */
  resourceLimits(): Partial<ResourceLimits>[] {
    return this.live().flatMap((t) => (t.limits ? [t.limits()] : []));
  }

  /** Each media thread's event-loop delay (ms) since the last reset. */
  async loopDelay(reset: boolean): Promise<LoopDelay[]> {
    const delays = await Promise.all(
      this.live().map((t) => t.ask<LoopDelay>({ op: 'loop', reset })),
    );
    return this.size === 0 ? [] : delays; // with no worker, the main thread's is the bridge's own
  }

  async stop(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.stop()));
  }
}
