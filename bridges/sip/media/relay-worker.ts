/** A media thread (node:worker_threads): the relays the pool gives it (relay-host.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { RelayHost } from './relay-host.js';
import type { ToHost } from './relay-protocol.js';
import { setThreadPriority } from './thread-priority.js';

const port = parentPort;
if (!port) throw new Error('relay-worker.ts runs as a worker thread');
// `media.priority`: this thread's nice value, before any packet (throws: the thread fails to start).
const { priority } = (workerData ?? {}) as { priority?: number };
if (priority !== undefined) setThreadPriority(priority);
const host = new RelayHost((msg) => port.postMessage(msg));
port.on('message', (msg: ToHost) => host.handle(msg));
