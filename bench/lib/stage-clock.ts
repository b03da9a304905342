/**
 * Where each message waits inside the bridge (`bench:xmpp -- --stages`): timestamps per stage, by
 * message body, taken in the bridge process by wrapping a few methods of the
 * libraries and of core (the bench may; a bridge may not). Times are epoch milliseconds with
 * sub-millisecond precision (`performance.timeOrigin + performance.now()`), so the benchmark
 * process can line them up with when it sent each message and when the homeserver got it.
 *
 *   read       the socket chunk that held the message's first copy came off the socket
 *   parsed     that copy was parsed into a stanza
 *   emit       the connector handed the event to core (`ctx.emit`)
 *   scheduled  core had stored it in the outbox and queued it behind the room's other sends
 *   dequeued   its turn in the room's queue came (`deliver`)
 *   http       the PUT to the homeserver was handed to the HTTP client
 *   answered   the homeserver's answer was read
 * and Matrix → XMPP:
 *   received   the transaction that held it had arrived (its body read)
 *   stored     it was in the inbox (committed; the log's sync for the 200 may still run) and
 *              handed to the room's queue
 *   connector  the connector was asked to send it (`handleMatrixMessage`)
 *   queued     its stanza was handed to the component connection
 *   written    the socket took the write that held it
 *
 * It costs CPU of its own (a JSON parse per send): never on when CPU per message is measured.
 */
import { createRequire } from 'node:module';
import type { Element } from '@xmpp/xml';
import type { RemoteEvent } from '../../src/connector.js';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { ComponentLink } from '../../bridges/xmpp/connection/connection.js';
import type { MatrixMessage, SendResult } from '../../src/connector.js';
import { InboxRouter } from '../../src/core/inbox-router.js';
import { RemoteDelivery } from '../../src/core/remote-delivery.js';
import type { ClientEvent } from '../../src/matrix/events.js';
import {
  Transport,
  type TransportReply,
  type TransportRequest,
} from '../../src/matrix/transport.js';
import type { OutboxEntry } from '../../src/store/store.js';

/** XMPP → Matrix, in order. */
export const IN_STAGES = [
  'read',
  'parsed',
  'emit',
  'scheduled',
  'dequeued',
  'http',
  'answered',
] as const;
/** Matrix → XMPP, in order. */
export const OUT_STAGES = ['received', 'stored', 'connector', 'queued', 'written'] as const;
export type Stage = (typeof IN_STAGES)[number] | (typeof OUT_STAGES)[number];
/** Per body, the time of each stage it reached. */
export type StageTimes = Record<string, Partial<Record<Stage, number>>>;

const now = () => performance.timeOrigin + performance.now();

interface ConnectionProto {
  write(this: ConnectionProto, data: string): Promise<void>;
  _onData(this: ConnectionProto, data: Buffer): void;
  _onElement(this: ConnectionProto, el: Element): void;
}
interface DeliveryProto {
  emit(this: RemoteDelivery, runtime: unknown, event: RemoteEvent, opts?: unknown): Promise<void>;
  schedule(this: RemoteDelivery, entry: OutboxEntry, ...rest: unknown[]): void;
  deliver(this: RemoteDelivery, entry: OutboxEntry, ...rest: unknown[]): Promise<void>;
}

export class StageClock {
  private times: StageTimes = {};
  private chunkAt = 0;
  /** Socket reads of the XMPP connection since the last `restart` (each one parse call). */
  private reads = 0;
  /** Socket writes of the XMPP connection since the last `restart`. */
  private writes = 0;

  /** Wraps the methods; call before the bridge starts (connections bind them as they attach). */
  install(): void {
    const mark = (body: unknown, stage: Stage, at = now()) => {
      if (typeof body !== 'string') return;
      const t = (this.times[body] ??= {});
      t[stage] ??= at;
    };
    const bodyOfJson = (json: string): unknown =>
      (JSON.parse(json) as { content?: { text?: unknown } }).content?.text;

    // The XMPP socket and parser (the copy @xmpp/component-core uses).
    const fromComponent = createRequire(
      createRequire(import.meta.url).resolve('@xmpp/component-core'),
    );
    const fromTcp = createRequire(fromComponent.resolve('@xmpp/connection-tcp'));
    const Connection = fromTcp('@xmpp/connection') as { prototype: ConnectionProto };
    const { _onData, _onElement, write } = Connection.prototype;
    const wrote = () => this.writes++;
    Connection.prototype.write = function (data) {
      wrote();
      return write.call(this, data);
    };
    const chunk = (at: number) => {
      this.chunkAt = at;
      this.reads++;
    };
    const chunkAt = () => this.chunkAt;
    Connection.prototype._onData = function (data) {
      chunk(now());
      _onData.call(this, data);
    };
    Connection.prototype._onElement = function (el) {
      if (el.name === 'message') {
        const body = el.getChildText('body');
        mark(body, 'read', chunkAt());
        mark(body, 'parsed');
      }
      _onElement.call(this, el);
    };

    // Core: the outbox and the room's queue.
    const delivery = RemoteDelivery.prototype as unknown as DeliveryProto;
    const { emit, schedule, deliver } = delivery;
    delivery.emit = function (runtime, event, opts) {
      if (event.kind === 'message') mark(event.content.text, 'emit');
      return emit.call(this, runtime, event, opts);
    };
    delivery.schedule = function (entry, ...rest) {
      mark(bodyOfJson(entry.json), 'scheduled');
      schedule.call(this, entry, ...rest);
    };
    delivery.deliver = function (entry, ...rest) {
      mark(bodyOfJson(entry.json), 'dequeued');
      return deliver.call(this, entry, ...rest);
    };

    // The HTTP client: a ghost's message PUT and its answer.
    const transport = Transport.prototype as unknown as {
      send(req: TransportRequest, buffered?: boolean): Promise<TransportReply>;
    };
    const send = transport.send;
    transport.send = function (this: Transport, req, buffered) {
      const body =
        req.method === 'PUT' && req.path.includes('/send/m.room.message/') && req.body
          ? (JSON.parse(String(req.body)) as { body?: unknown }).body
          : undefined;
      mark(body, 'http');
      const answer = send.call(this, req, buffered);
      if (body !== undefined) void answer.then(() => mark(body, 'answered')).catch(() => undefined);
      return answer;
    };
    this.installOut(mark);
  }

  /** Wraps the Matrix → XMPP path: core's inbox router, the connector, the component link. */
  private installOut(mark: (body: unknown, stage: Stage, at?: number) => void): void {
    const router = InboxRouter.prototype as unknown as {
      enqueue(row: unknown, parsed?: ClientEvent, receivedAt?: number): void;
    };
    const { enqueue } = router;
    router.enqueue = function (this: InboxRouter, row, parsed, receivedAt) {
      const body = parsed?.content.body;
      if (receivedAt !== undefined) mark(body, 'received', performance.timeOrigin + receivedAt);
      mark(body, 'stored');
      enqueue.call(this, row, parsed, receivedAt);
    };
    const connector = XmppConnector.prototype as unknown as {
      handleMatrixMessage(msg: MatrixMessage): Promise<SendResult>;
    };
    const { handleMatrixMessage } = connector;
    connector.handleMatrixMessage = function (this: XmppConnector, msg) {
      mark(msg.content.text, 'connector');
      return handleMatrixMessage.call(this, msg);
    };
    const link = ComponentLink.prototype as unknown as {
      send(el: Element, opts?: { first?: boolean }): Promise<void>;
    };
    const { send } = link;
    link.send = function (this: ComponentLink, el, opts) {
      const body = el.name === 'message' ? el.getChildText('body') : null;
      mark(body, 'queued');
      const written = send.call(this, el, opts);
      if (body !== null) void written.then(() => mark(body, 'written')).catch(() => undefined);
      return written;
    };
  }

  /** Counts from zero again (a benchmark phase starts). */
  restart(): void {
    this.reads = 0;
    this.writes = 0;
  }

  /** The times of the bodies that start with `prefix` (then forgotten); reads and writes since `restart`. */
  take(prefix: string): { times: StageTimes; reads: number; writes: number } {
    const times: StageTimes = {};
    for (const [body, t] of Object.entries(this.times))
      if (body.startsWith(prefix)) times[body] = t;
    this.times = {};
    return { times, reads: this.reads, writes: this.writes };
  }
}
