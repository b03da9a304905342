/**
 * A media process (`media.process: true`): the relays the pool gives it (relay-host.ts), in a
 * child process of the bridge with V8 of its own. Its garbage collector runs on its one thread
 * (`--single-threaded-gc`, set by the pool): a real-time media thread then never waits for V8's
 * GC helper threads, which are ordinary threads behind every other process's work on a busy
 * machine, and the bridge's main thread's collections share nothing with it. It ends when the
 * bridge does (the IPC channel closes).
 */
import { RelayHost } from './relay-host.js';
import type { FromHost, ToHost } from './relay-protocol.js';
import { setThreadPriority, setThreadRealtime } from './thread-priority.js';

const send = process.send?.bind(process);
if (!send) throw new Error('relay-process.ts runs as a child process with an IPC channel');
const { priority, realtime } = JSON.parse(process.env.SWITCHBOARD_SIP_MEDIA ?? '{}') as {
  priority?: number;
  realtime?: number;
};
// As a media thread: its priority before any packet (throws: the process exits, the bridge is told);
// SCHED_RR for every thread of the process (threads started later inherit it from this one).
try {
  if (priority !== undefined) setThreadPriority(priority);
  if (realtime !== undefined) setThreadRealtime(realtime, true);
} catch (err) {
  send({ kind: 'fatal', error: (err as Error).message } satisfies FromHost, () => process.exit(1));
  throw err;
}
const host = new RelayHost((msg: FromHost) => void send(msg));
process.on('message', (msg: ToHost) => host.handle(msg));
process.on('disconnect', () => void host.stop().finally(() => process.exit(0)));
