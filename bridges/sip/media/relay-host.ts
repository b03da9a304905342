/**
 * The relays of one media thread: it opens them, runs the steps the call control asks for and
 * answers with the relay's state, tells the phone's DTMF digits, and pushes every relay's figures
 * each second. The same code runs in a worker thread (relay-worker.ts) or, with
 * `media.threads: 0`, on the bridge's main thread.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MediaRelay } from './relay.js';
import { RelayProbe } from './relay-probe.js';
import { RELAY_METHODS, type FromHost, type RelayState, type ToHost } from './relay-protocol.js';
import { osThreadId } from './thread-priority.js';
import { GcWatch } from './gc-watch.js';

const FIGURES_MS = 1000;

export class RelayHost {
  private readonly relays = new Map<number, MediaRelay>();
  private timer?: NodeJS.Timeout;
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  /** How long this thread's relays hold packets and how late packets reach them. */
  private readonly probe = new RelayProbe();
  /** The thread this host runs on (its kernel id: the benchmark reads its CPU and waits). */
  private readonly tid = osThreadId();
  /** This thread's GC pauses and allocation, from the first window's start (gc-watch.ts). */
  private readonly gc = new GcWatch();

  constructor(private readonly post: (msg: FromHost) => void) {
    this.loop.enable();
  }

  handle(msg: ToHost): void {
    switch (msg.op) {
      case 'open': {
        const relay = new MediaRelay(msg.options, this.probe);
        relay.onDigit = (digit) => this.post({ kind: 'digit', id: msg.id, digit });
        this.relays.set(msg.id, relay);
        this.timer ??= setInterval(() => this.figures(), FIGURES_MS);
        return;
      }
      case 'call':
        return void this.run(msg.req, msg.id, (relay) => {
          if (!RELAY_METHODS.includes(msg.method)) throw new Error(`no relay step ${msg.method}`);
          const step = relay[msg.method] as (...args: unknown[]) => Promise<unknown>;
          return step.apply(relay, msg.args);
        });
      case 'close':
        return void this.run(msg.req, msg.id, async (relay) => {
          await relay.close();
          this.relays.delete(msg.id);
          if (this.relays.size === 0) {
            clearInterval(this.timer);
            this.timer = undefined;
          }
        });
      case 'loop': {
        const l = this.loop;
        const gc = this.gc.figures(msg.reset);
        if (msg.reset && !this.gc.running) this.gc.start();
        const value = {
          p50: l.percentile(50) / 1e6,
          p99: l.percentile(99) / 1e6,
          max: l.max / 1e6,
          packets: this.probe.figures(),
          ...(this.tid !== undefined ? { tid: this.tid, pid: process.pid } : {}),
          ...(gc ? { gc } : {}),
        };
        if (msg.reset) {
          l.reset();
          this.probe.reset();
        }
        return this.post({ kind: 'reply', req: msg.req, value });
      }
    }
  }

  private async run(
    req: number,
    id: number,
    step: (relay: MediaRelay) => Promise<unknown>,
  ): Promise<void> {
    const relay = this.relays.get(id);
    if (!relay) return this.post({ kind: 'reply', req, error: 'the call has no media relay' });
    try {
      const value = await step(relay);
      this.post({ kind: 'reply', req, value, state: state(relay) });
    } catch (err) {
      this.post({ kind: 'reply', req, error: (err as Error).message, state: state(relay) });
    }
  }

  private figures(): void {
    this.post({ kind: 'figures', relays: [...this.relays].map(([id, r]) => [id, state(r)]) });
  }

  /** Ends every relay (the thread stops). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.loop.disable();
    this.gc.stop();
    await Promise.all([...this.relays.values()].map((r) => r.close()));
    this.relays.clear();
  }
}

function state(relay: MediaRelay): RelayState {
  return { sendsDigits: relay.sendsDigits, stats: relay.stats, quality: relay.quality };
}
