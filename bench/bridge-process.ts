/**
 * The bridge under test, in a process of its own (as in production, where the homeserver is
 * another process): the real Switchboard with the echo bridge, driven over IPC by
 * `inbox.bench.ts` (through `lib/bridge-handle.ts`). It samples its own memory every 50 ms and
 * reports peaks and CPU time.
 *
 * Messages in:  {type:'start', config}   → {type:'ready', port}
 *               {type:'mark'}            → resets peaks and the CPU counter → {type:'marked'}
 *               {type:'stats'}           → {type:'stats', ...}
 *               {type:'stop'}            → stops the bridge → {type:'stopped'}, then exits
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { EchoConnector } from '../bridges/echo/index.js';
import { IrcConnector } from '../bridges/irc/index.js';
import { configSchema } from '../src/config/schema.js';
import { Switchboard } from '../src/core/switchboard.js';

export type ToBridge =
  | { type: 'start'; config: unknown; connector?: 'echo' | 'irc' }
  | { type: 'mark' }
  | { type: 'stats' }
  | { type: 'memory' }
  | { type: 'stop' };

export interface BridgeStats {
  type: 'stats';
  peakRssBytes: number;
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
  /** User + system CPU time since the last mark. */
  cpuMs: number;
  cpuSystemMs: number;
  samples: number;
  /** How late the event loop ran timers since the mark (its stalls delay every message). */
  loopDelayMs: { p50: number; p99: number; max: number };
}

export type FromBridge =
  | { type: 'ready'; port: number }
  | { type: 'marked' }
  | BridgeStats
  /** After a full garbage collection (the process runs with --expose-gc). */
  | { type: 'memory'; heapUsedBytes: number; rssBytes: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const SAMPLE_MS = 50;

let bridge: Switchboard | undefined;
let peaks = { rss: 0, heapUsed: 0, heapTotal: 0, samples: 0 };
let cpuStart = process.cpuUsage();

function sample(): void {
  const m = process.memoryUsage();
  peaks.rss = Math.max(peaks.rss, m.rss);
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
  peaks.samples++;
}
setInterval(sample, SAMPLE_MS).unref();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

function send(msg: FromBridge): void {
  process.send?.(msg);
}

async function onMessage(msg: ToBridge): Promise<void> {
  switch (msg.type) {
    case 'start': {
      const config = configSchema.parse(msg.config);
      // Silent, as asked of the benchmark: a log line per event would measure pino.
      const connector = msg.connector === 'irc' ? new IrcConnector() : new EchoConnector();
      bridge = new Switchboard(config, [connector], pino({ level: 'silent' }), {
        skipPing: true,
      });
      await bridge.start();
      send({ type: 'ready', port: bridge.port });
      return;
    }
    case 'mark':
      peaks = { rss: 0, heapUsed: 0, heapTotal: 0, samples: 0 };
      sample();
      cpuStart = process.cpuUsage();
      loopDelay.reset();
      send({ type: 'marked' });
      return;
    case 'stats': {
      sample();
      const cpu = process.cpuUsage(cpuStart);
      send({
        type: 'stats',
        peakRssBytes: peaks.rss,
        peakHeapUsedBytes: peaks.heapUsed,
        peakHeapTotalBytes: peaks.heapTotal,
        cpuMs: (cpu.user + cpu.system) / 1000,
        cpuSystemMs: cpu.system / 1000,
        samples: peaks.samples,
        loopDelayMs: {
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        },
      });
      return;
    }
    case 'memory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('the bridge process needs --expose-gc');
      gc();
      gc();
      const m = process.memoryUsage();
      send({ type: 'memory', heapUsedBytes: m.heapUsed, rssBytes: m.rss });
      return;
    }
    case 'stop':
      await bridge?.stop();
      send({ type: 'stopped' });
      // A normal exit, so `--cpu-prof` writes its profile.
      process.disconnect?.();
      setTimeout(() => process.exit(0), 50).unref();
      return;
  }
}

process.on('message', (msg: ToBridge) => {
  onMessage(msg).catch((err: unknown) => {
    send({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
