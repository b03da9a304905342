/** A media thread (node:worker_threads): the relays the pool gives it (relay-host.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { RelayHost } from './relay-host.js';
import type { ToHost } from './relay-protocol.js';
import { setThreadPriority, setThreadRealtime } from './thread-priority.js';

const port = parentPort;
if (!port) throw new Error('relay-worker.ts runs as a worker thread');
// `media.priority`: this thread's nice value, `media.realtime` its real-time priority, before any
// packet (throws: the thread fails to start).
const { priority, realtime } = (workerData ?? {}) as { priority?: number; realtime?: number };
if (priority !== undefined) setThreadPriority(priority);
if (realtime !== undefined) setThreadRealtime(realtime);
const host = new RelayHost((msg) => port.postMessage(msg));
port.on('message', (msg: ToHost) => host.handle(msg));
