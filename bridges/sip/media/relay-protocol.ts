/**
 * The messages between the call control (the bridge's main thread) and a media thread
 * (relay-worker.ts) that owns a share of the calls' relays. Only call control crosses: the
 * relay's SDP steps, trickled candidates, DTMF, its figures, its end. Packets never do.
 */
import type { CallQuality, MediaStats, RelayOptions } from './relay.js';
import type { ProbeFigures } from './relay-probe.js';
import type { GcFigures } from './gc-watch.js';

/** The relay's steps the main thread asks for (MediaRelay's methods of the same names). */
export const RELAY_METHODS = [
  'matrixOffered',
  'sipAnswered',
  'sipOffered',
  'matrixAnswered',
  'matrixReoffered',
  'sipReanswered',
  'sipReoffered',
  'matrixReoffer',
  'matrixReanswered',
  'addCandidates',
  'sendDigits',
] as const;
export type RelayMethod = (typeof RELAY_METHODS)[number];

/** What the main thread keeps of a relay between messages (each reply and push brings it). */
export interface RelayState {
  sendsDigits: boolean;
  stats: MediaStats;
  quality: CallQuality;
}

/** A media thread's event-loop delay (ms), and where its packets waited (relay-probe.ts). */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  packets: ProbeFigures;
  /** The thread's kernel thread id (Linux), for per-thread CPU and run-queue figures. */
  tid?: number;
  /** The process it is in (`media.process`: a child process of the bridge's). */
  pid?: number;
  /** The thread's GC pauses and allocation since the last reset (once a reset started them). */
  gc?: GcFigures;
}

export type ToHost =
  | { op: 'open'; id: number; options: RelayOptions }
  | { op: 'call'; id: number; req: number; method: RelayMethod; args: unknown[] }
  | { op: 'close'; id: number; req: number }
  /** The thread's event-loop delay (ms) since the last `reset`. */
  | { op: 'loop'; req: number; reset: boolean };

export type FromHost =
  | { kind: 'reply'; req: number; value?: unknown; error?: string; state?: RelayState }
  | { kind: 'digit'; id: number; digit: string }
  /** Every relay's figures, each second (for /metrics while calls are up). */
  | { kind: 'figures'; relays: [number, RelayState][] }
  /** A media process that cannot run (its priority refused): why, before it exits. */
  | { kind: 'fatal'; error: string };
