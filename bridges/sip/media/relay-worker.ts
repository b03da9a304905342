/** A media thread (node:worker_threads): the relays the pool gives it (relay-host.ts). */
import { parentPort } from 'node:worker_threads';
import { RelayHost } from './relay-host.js';
import type { ToHost } from './relay-protocol.js';

const port = parentPort;
if (!port) throw new Error('relay-worker.ts runs as a worker thread');
const host = new RelayHost((msg) => port.postMessage(msg));
port.on('message', (msg: ToHost) => host.handle(msg));
