/**
 * Takes stored Matrix events off the inbox in per-room order and sends each
 * where it belongs: the bot's own business (invites, the management room, 🔁
 * retries) or the portals of the room, then records the outcome.
 */
import type { Logger } from 'pino';
import {
  BridgeError,
  handlesGhostInvites,
  type MatrixRoomId,
  type MatrixUserId,
} from '../connector.js';
import type { ClientEvent, EphemeralEvent } from '../matrix/events.js';
import type { IntentCache } from '../matrix/intent.js';
import type { Metrics } from '../observability/metrics.js';
import type { InboxEvent, Store } from '../store/store.js';
import { bridgeOwning, type BridgeRuntime } from './bridge-runtime.js';
import { deliverToNetwork, type DeliverDeps } from './from-matrix.js';
import { EphemeralRouter } from './inbox-ephemeral.js';
import type { InboundTasks } from './inbound-task.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { Management } from './management.js';
import type { MemberNames } from './member-names.js';
import { RETRY_KEY, type Outcomes } from './outcomes.js';
import type { PortalDirectory } from './portals.js';
import type { RoomVoices } from './room-voices.js';
import type { SendsInFlight } from './sends-in-flight.js';

export interface InboxRouterDeps {
  store: Store;
  queue: KeyedQueue;
  /** What each room is handling now (remote events emitted meanwhile wait for it). */
  tasks: InboundTasks;
  portals: PortalDirectory;
  runtimes: Map<string, BridgeRuntime>;
  outcomes: Outcomes;
  management: Management;
  members: MemberNames;
  intents: IntentCache;
  metrics: Metrics;
  log: Logger;
  botUserId: string;
  /** A ghost a user invited to a new room speaks for the bridge there (the bot is not in it). */
  voices: Pick<RoomVoices, 'remember'>;
  /** Each room's send to Matrix under way (a reply to what it sends waits for it). */
  inFlight: SendsInFlight;
  /** Each room's event being sent to the networks (a network's answer to it waits for it). */
  sendingToNetwork: SendsInFlight;
}

export class InboxRouter {
  /** Receipts, typing and presence: what the homeserver sends beside the stored events. */
  private readonly ephemeral: EphemeralRouter;
  /** Events delivered whose network has not answered yet (see `SendResult.confirmed`). */
  private readonly awaitingAnswers = new Set<Promise<void>>();

  private readonly deliverDeps: DeliverDeps;

  constructor(private readonly deps: InboxRouterDeps) {
    this.deliverDeps = {
      messages: deps.store.messages,
      members: deps.members,
      bridgeOf: (u) => this.bridgeOf(u),
      fetchEvent: (roomId, eventId) => deps.intents.bot.client.getEvent(roomId, eventId),
      inFlight: deps.inFlight,
      sendingToNetwork: deps.sendingToNetwork,
    };
    this.ephemeral = new EphemeralRouter(deps, (u) => this.bridgeOf(u));
  }

  private bridgeOf(userId: string): string | undefined {
    return bridgeOwning(this.deps.runtimes, userId)?.id;
  }

  /**
   * Queues a stored event; a retried one (and its replay after a crash) goes only to the bridge that
   * failed. `receivedAt`: when its transaction arrived (a live event), where latency is counted from.
   */
  enqueue(row: InboxEvent, parsed?: ClientEvent, receivedAt?: number): void {
    const onlyBridge =
      row.failedBridge && this.deps.runtimes.has(row.failedBridge) ? row.failedBridge : undefined;
    this.deps.queue.push(row.roomId, async () => {
      const ev = parsed ?? (JSON.parse(row.json) as ClientEvent);
      try {
        await this.deps.tasks.run(row.roomId, () => this.route(ev, onlyBridge, receivedAt));
      } catch (error) {
        this.deps.log.error(
          { err: error, eventId: ev.event_id, roomId: ev.room_id },
          'event handling failed',
        );
        await this.deps.outcomes.failed({
          eventId: ev.event_id,
          roomId: ev.room_id,
          bridge: onlyBridge ?? 'core',
          bridgeName: 'the bridge',
          error,
        });
      }
    });
  }

  enqueueEphemeral(ev: EphemeralEvent): void {
    this.ephemeral.enqueue(ev);
  }

  /** Sets a failed event back to pending and queues it for the bridge that failed. */
  async retry(eventId: string): Promise<boolean> {
    const row = await this.deps.store.inbox.retry(eventId);
    if (!row) return false;
    this.deps.log.info({ eventId, roomId: row.roomId }, 'retrying a failed event');
    this.enqueue(row);
    return true;
  }

  private async route(ev: ClientEvent, onlyBridge?: string, receivedAt?: number): Promise<void> {
    const { deps } = this;
    if (ev.type === 'm.room.member' && typeof ev.state_key === 'string') {
      const content = ev.content as {
        membership?: unknown;
        displayname?: unknown;
        avatar_url?: unknown;
      };
      deps.members.note(ev.room_id, ev.state_key, content.displayname, content.avatar_url);
      if (typeof content.membership === 'string')
        deps.intents.noteMembership(ev.state_key, ev.room_id, content.membership);
      if (
        ev.state_key === deps.botUserId &&
        content.membership === 'invite' &&
        ev.sender !== deps.botUserId
      ) {
        await deps.management.acceptInvite(ev);
        return deps.outcomes.succeeded(ev.event_id, null);
      }
      if (content.membership === 'invite' && (await this.ghostInvited(ev, ev.state_key)))
        return deps.outcomes.succeeded(ev.event_id, null);
    }
    if (ev.sender === deps.botUserId) return deps.outcomes.succeeded(ev.event_id, null);
    if (await deps.management.isManagementRoom(ev.room_id)) {
      if (ev.type === 'm.room.message') await deps.management.run(ev);
      return deps.outcomes.succeeded(ev.event_id, null);
    }
    if (ev.type === 'm.reaction' && (await this.retryByReaction(ev)))
      return deps.outcomes.succeeded(ev.event_id, null);

    const sent = deps.sendingToNetwork.begin(ev.room_id);
    const { failed, confirmations } = await this.toPortals(ev, onlyBridge, receivedAt).finally(
      sent,
    );
    if (confirmations.length === 0) {
      if (!failed) deps.outcomes.succeeded(ev.event_id, null);
      return;
    }
    // The room's next event does not wait for a network's answer; the event is done when all came.
    const answered: Promise<void> = Promise.all(confirmations)
      .then((taken) => {
        if (!failed && taken.every(Boolean)) deps.outcomes.succeeded(ev.event_id, null);
      })
      .catch((err: unknown) =>
        deps.log.error({ err, eventId: ev.event_id }, 'could not record a confirmed event'),
      )
      .finally(() => this.awaitingAnswers.delete(answered));
    this.awaitingAnswers.add(answered);
  }

  /** Sends `ev` to each network linked to its room; what failed is recorded there. */
  private async toPortals(ev: ClientEvent, onlyBridge?: string, receivedAt?: number) {
    const { deps } = this;
    let failed = false;
    const confirmations: Promise<boolean>[] = [];
    for (const portal of await deps.portals.inRoom(ev.room_id)) {
      const runtime = deps.runtimes.get(portal.bridge);
      // Loops never: a bridge does not hear its own ghosts; other bridges' ghosts it does.
      if (!runtime || runtime.ownsUser(ev.sender) || (onlyBridge && portal.bridge !== onlyBridge))
        continue;
      const started = receivedAt ?? performance.now();
      try {
        if (runtime.state !== 'running') {
          throw new BridgeError(
            'not-connected',
            `${runtime.connector.displayName} is not running (${runtime.stateReason ?? runtime.state})`,
            true,
          );
        }
        // Live (`receivedAt`): just stored, once per event id, so it cannot have been sent before.
        const replayed = receivedAt === undefined || onlyBridge !== undefined;
        const delivery = await deliverToNetwork(this.deliverDeps, runtime, portal, ev, replayed);
        deps.metrics.events.inc({ type: ev.type, bridge: runtime.id, direction: 'to_network' });
        deps.metrics.sendLatency.observe(
          { direction: 'to_network', bridge: runtime.id },
          (performance.now() - started) / 1000,
        );
        if (delivery?.confirmed)
          confirmations.push(
            delivery.confirmed.then(
              () => true,
              (error: unknown) => this.notDelivered(ev, runtime, error).then(() => false),
            ),
          );
      } catch (error) {
        // One network failing does not keep the event from the others in the room.
        failed = true;
        await this.notDelivered(ev, runtime, error);
      }
    }
    return { failed, confirmations };
  }

  /** Resolves when every delivered event's network has answered (for a clean stop). */
  async answered(): Promise<void> {
    while (this.awaitingAnswers.size > 0) await Promise.all([...this.awaitingAnswers]);
  }

  private async notDelivered(ev: ClientEvent, runtime: BridgeRuntime, error: unknown) {
    this.deps.metrics.failures.inc({
      direction: 'to_network',
      bridge: runtime.id,
      reason: (error as { code?: string }).code ?? 'error',
    });
    await this.deps.outcomes.failed({
      eventId: ev.event_id,
      roomId: ev.room_id,
      bridge: runtime.id,
      bridgeName: runtime.connector.displayName,
      error,
      notify: this.bridgeOf(ev.sender) === undefined,
    });
  }

  /** A ghost was invited: its bridge says which portal the room is (the ghost joins, the room is linked) or declines. */
  private async ghostInvited(ev: ClientEvent, ghostUserId: string): Promise<boolean> {
    const runtime = bridgeOwning(this.deps.runtimes, ghostUserId);
    const ghost = runtime?.remoteUserOf(ghostUserId);
    // Invites by the bot (a ghost let into a portal) or by ghosts are core's own doing, not a user's.
    if (ev.sender === this.deps.botUserId || this.bridgeOf(ev.sender) !== undefined) return false;
    if (!runtime || !ghost || !handlesGhostInvites(runtime.connector)) return false;
    if ((await this.deps.portals.inRoom(ev.room_id)).length > 0) return false; // a portal already: ordinary membership
    const isDirect = (ev.content as { is_direct?: unknown }).is_direct === true;
    const roomId = ev.room_id as MatrixRoomId;
    const key = await runtime.connector.handleGhostInvite({
      roomId,
      inviter: ev.sender as MatrixUserId,
      ghost,
      isDirect,
    });
    const intent = this.deps.intents.intentFor(ghostUserId);
    if (!key) {
      await intent
        .leave(roomId)
        .catch((err: unknown) =>
          this.deps.log.warn({ err, roomId }, 'could not decline an invite of a ghost'),
        );
      return true;
    }
    await intent.ensureJoined(roomId);
    await this.deps.voices.remember(roomId, ghostUserId);
    await this.deps.portals.link(runtime, key, roomId);
    this.deps.log.info(
      { bridge: runtime.id, portal: key, roomId },
      'a ghost was invited: room linked',
    );
    return true;
  }

  /** A 🔁 reaction on a failure notice retries the failed event. */
  private async retryByReaction(ev: ClientEvent): Promise<boolean> {
    const relation = (ev.content as { 'm.relates_to'?: { event_id?: unknown; key?: unknown } })[
      'm.relates_to'
    ];
    if (relation?.key !== RETRY_KEY || typeof relation.event_id !== 'string') return false;
    const failed = await this.deps.store.inbox.failedByNotice(relation.event_id);
    return failed ? this.retry(failed.eventId) : false;
  }
}
