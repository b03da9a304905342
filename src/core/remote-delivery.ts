/**
 * Network → Matrix: `ctx.emit` stores a remote event in the outbox, then it is
 * sent in order per room, retried with backoff through homeserver outages, and
 * picked up again after a restart.
 */
import type { Logger } from 'pino';
import {
  BridgeError,
  type EmitOptions,
  type EmitOutcome,
  type MatrixEventId,
  type RemoteEvent,
} from '../connector.js';
import { MatrixError } from '../matrix/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxEntry } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { InboundTasks } from './inbound-task.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { PortalDirectory } from './portals.js';
import type { SendsInFlight } from './sends-in-flight.js';
import { sendToMatrix, type ToMatrixDeps } from './to-matrix.js';

/** A send the homeserver refused for good (not 429, not 5xx) is tried this many times, then given up. */
const MAX_REFUSED_ATTEMPTS = 5;
/**
 * Refusals that another try cannot change, given up at once: every try holds the room's later
 * events back (a flood of refused lines would hold the room for minutes), and the ghost's intent
 * has already joined again and retried once for a stale membership.
 */
const FINAL_REFUSALS = new Set(['M_FORBIDDEN', 'M_TOO_LARGE']);
const MAX_BACKOFF_MS = 30_000;

export interface RemoteDeliveryDeps extends ToMatrixDeps {
  queue: KeyedQueue;
  /** The Matrix event each room is handling: a remote event emitted meanwhile is sent after it. */
  inbound: InboundTasks;
  portals: PortalDirectory;
  runtimes: Map<string, BridgeRuntime>;
  metrics: Metrics;
  log: Logger;
  /**
   * Unique to this database: outbox ids start again in a new one, and the homeserver
   * dedupes sends by txnId per appservice, so txnIds must not repeat across databases.
   */
  instanceId: string;
  backoffBaseMs?: number;
  /** Each room's send under way, for Matrix events that answer what it sends. */
  inFlight: SendsInFlight;
}

export class RemoteDelivery {
  private stopped = false;
  private readonly wake = new Set<() => void>();
  /** Per portal: settles once the latest emit's write is queued (the next emit waits for that). */
  private readonly queuing = new Map<string, Promise<void>>();
  /** Events scheduled and not yet sent (or given up), and who waits for that to reach 0. */
  private unsent = 0;
  private readonly whenAllSent = new Set<() => void>();

  constructor(private readonly deps: RemoteDeliveryDeps) {}

  /**
   * Stores the event, then schedules it. Calls keep their order per portal even when the caller
   * does not wait for one to be stored before emitting the next: each write is queued (not
   * committed) before the next call's, so a bridge can hand over a burst without waiting a
   * commit per event, and group commit stores the burst together.
   */
  emit(runtime: BridgeRuntime, event: RemoteEvent, opts: EmitOptions = {}): Promise<void> {
    const emittedAt = performance.now();
    const key = `${runtime.id}\n${event.portal}`;
    const prior = this.queuing.get(key);
    const durable = opts.survives !== 'process-crash';
    const queued = prior
      ? prior.then(() => this.queueWrite(runtime, event, durable, opts.ref))
      : this.queueWrite(runtime, event, durable, opts.ref);
    const turn = queued.then(
      () => undefined,
      () => undefined,
    );
    this.queuing.set(key, turn);
    void turn.then(() => {
      if (this.queuing.get(key) === turn) this.queuing.delete(key);
    });
    return queued.then(async ({ stored, after }) => this.schedule(await stored, after, emittedAt));
  }

  /**
   * Finds the portal's room and queues the outbox write (`stored` is boxed so it is not awaited
   * here); `after`: the room's Matrix event being handled as this was emitted.
   */
  private async queueWrite(
    runtime: BridgeRuntime,
    event: RemoteEvent,
    durable: boolean,
    ref: string | undefined,
  ): Promise<{ stored: Promise<OutboxEntry>; after: Promise<void> | undefined }> {
    const portal = await this.deps.portals.get(runtime.id, event.portal);
    if (!portal)
      throw new BridgeError(
        'unknown-target',
        `no portal for ${event.portal}: call ensurePortal first`,
      );
    const stored = this.deps.store.outbox.add(
      {
        bridge: runtime.id,
        roomId: portal.roomId,
        json: JSON.stringify(event),
        ...(ref !== undefined ? { ref } : {}),
      },
      durable,
    );
    return { stored, after: this.deps.inbound.inProgress(portal.roomId) };
  }

  /** Queues everything the outbox still holds (after a restart). */
  async resume(): Promise<number> {
    const entries = await this.deps.store.outbox.pending();
    for (const entry of entries) this.schedule(entry);
    return entries.length;
  }

  /** Resolves once every scheduled event is sent, or after `maxMs`, whichever is first. */
  allSent(maxMs: number): Promise<void> {
    return this.unsent === 0 ? Promise.resolve() : wakeable(maxMs, this.whenAllSent);
  }

  /** Ends the waits of retrying sends; what is unsent stays in the outbox for next time. */
  stop(): void {
    this.stopped = true;
    for (const wake of this.wake) wake();
  }

  /**
   * `after`: the Matrix event being handled when this was emitted; it finishes first.
   * `emittedAt`: when the bridge emitted it (a live event), where latency is counted from.
   */
  private schedule(entry: OutboxEntry, after?: Promise<void>, emittedAt?: number): void {
    this.deps.metrics.outboxPending.inc();
    this.unsent++;
    this.deps.queue.push(entry.roomId, async () => {
      await after;
      await this.deliver(entry, emittedAt).finally(() => {
        this.deps.metrics.outboxPending.dec();
        if (--this.unsent === 0) for (const done of this.whenAllSent) done();
      });
    });
  }

  private async deliver(entry: OutboxEntry, emittedAt?: number): Promise<void> {
    const { log, metrics } = this.deps;
    const runtime = this.deps.runtimes.get(entry.bridge);
    const event = JSON.parse(entry.json) as RemoteEvent;
    const context = {
      bridge: entry.bridge,
      portal: event.portal,
      roomId: entry.roomId,
      outboxId: entry.id,
      kind: event.kind,
    };
    if (!runtime) {
      log.warn(context, 'outbox entry for a bridge that is not enabled: kept for when it is');
      return;
    }
    const started = emittedAt ?? performance.now();
    for (let attempt = entry.attempts; !this.stopped; attempt++) {
      const ended = this.deps.inFlight.begin(entry.roomId);
      try {
        const mapping = await sendToMatrix(
          this.deps,
          runtime,
          entry.roomId,
          event,
          `sb.out.${this.deps.instanceId}.${entry.id}`,
        );
        // The room's next event goes while this commits (lookups see the mapping at once), so
        // a room's sends do not wait a commit each. A crash before the commit sends it again with
        // the same txnId, which the homeserver answers with the event it already made.
        this.deps.store.outbox
          .complete(entry.id, mapping)
          .catch((err: unknown) =>
            log.error({ ...context, err }, 'could not record a sent remote event as sent'),
          );
        ended(); // after `complete`: its mapping is seen by lookups from here on
        const eventId = mapping?.eventId as MatrixEventId | undefined;
        this.settle(runtime, entry, { delivered: true, ...(eventId ? { eventId } : {}) });
        metrics.events.inc({ type: event.kind, bridge: entry.bridge, direction: 'to_matrix' });
        metrics.sendLatency.observe(
          { direction: 'to_matrix', bridge: entry.bridge },
          (performance.now() - started) / 1000,
        );
        return;
      } catch (err) {
        ended();
        const refused = err instanceof MatrixError && err.status !== 429 && err.status < 500;
        metrics.failures.inc({
          direction: 'to_matrix',
          bridge: entry.bridge,
          reason: err instanceof MatrixError ? err.errcode : 'network',
        });
        await this.deps.store.outbox.recordAttempt(entry.id, String(err)).catch(() => undefined);
        const final =
          refused && (FINAL_REFUSALS.has(err.errcode) || attempt + 1 >= MAX_REFUSED_ATTEMPTS);
        if (final) {
          log.error({ ...context, err }, 'the homeserver refused a remote event; giving up on it');
          this.settle(runtime, entry, refusal(err));
          await this.deps.store.outbox.complete(entry.id);
          return;
        }
        const backoff = Math.min(
          MAX_BACKOFF_MS,
          (this.deps.backoffBaseMs ?? 500) * 2 ** Math.min(attempt, 10),
        );
        // A 429 says when to come back (the client hands it over once its own retries are spent): never sooner.
        const delay = Math.max(backoff, err instanceof MatrixError ? (err.retryAfterMs ?? 0) : 0);
        log.warn(
          { ...context, err, attempt, delayMs: delay },
          'sending to Matrix failed; will retry',
        );
        await this.sleep(delay);
      }
    }
  }

  /**
   * Tells the bridge what became of an event it named: now, in the room's delivery order, before
   * the sent-mark commits (a crash in between tells it again after the restart, never not at all).
   */
  private settle(runtime: BridgeRuntime, entry: OutboxEntry, outcome: EmitOutcome): void {
    const hook = runtime.connector.emitSettled;
    if (entry.ref === undefined || !hook) return;
    const failed = (err: unknown) =>
      this.deps.log.error(
        { err, bridge: entry.bridge, outboxId: entry.id },
        "the bridge's emitSettled failed",
      );
    try {
      const done = hook.call(runtime.connector, entry.ref, outcome);
      if (done instanceof Promise) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private sleep(ms: number): Promise<void> {
    return wakeable(ms, this.wake);
  }
}

/** A refusal as the network user who sent the event is told it. */
function refusal(err: MatrixError): EmitOutcome {
  const why: Record<string, string> = {
    M_FORBIDDEN: 'the Matrix room does not let you send that',
    M_TOO_LARGE: 'too large for Matrix',
  };
  const said = why[err.errcode] ?? 'the Matrix homeserver refused it';
  return { delivered: false, errcode: err.errcode, reason: `${said} (${err.errcode})` };
}

/** Resolves after `ms`, or sooner when one of `wakers` is called (each removes itself). */
function wakeable(ms: number, wakers: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers.add(done);
  });
}
