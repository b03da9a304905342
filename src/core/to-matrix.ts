/** Sends one remote event into its Matrix room as the ghost of its sender. */
import type { Logger } from 'pino';
import type { RemoteEvent } from '../connector.js';
import { attachmentToMatrixContent, toMatrixContent } from '../format/matrix-content.js';
import type { MatrixClient } from '../matrix/client.js';
import type { MessageMapping, Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { GhostDirectory } from './ghosts.js';
import { callToMatrix } from './call-events.js';
import { isInfiniteCreator, mergeGhostLevels } from './power-levels.js';
import type { RoomVoices } from './room-voices.js';
import { findAfterSend, type SendsInFlight } from './sends-in-flight.js';

export interface ToMatrixDeps {
  store: Store;
  client: MatrixClient;
  ghosts: GhostDirectory;
  /** The bridge bot's user id. */
  botUserId: string;
  /** Sends core's notices: as the bot, or as the room's voice where the bot is not in it. */
  voices: Pick<RoomVoices, 'sendEvent'>;
  /**
   * Each room's Matrix event being sent to the networks: a remote event that names a message not
   * mapped yet (a read marker, a reply or a reaction from a fast client) waits for that send.
   */
  sendingToNetwork?: Pick<SendsInFlight, 'settled' | 'waiting'>;
  /** Each room's send to Matrix (this one's): marked while it waits for `sendingToNetwork`. */
  inFlight?: Pick<SendsInFlight, 'setWaiting'>;
  log?: Logger;
}

/** The `party_id` of a ghost's call events when its bridge gives none (a ghost has one device). */
const GHOST_PARTY_ID = 'switchboard';

type PowerLevelsEvent = Extract<RemoteEvent, { kind: 'power-levels' }>;
type MembershipEvent = Extract<RemoteEvent, { kind: 'membership' }>;

/**
 * Delivers `event` to `roomId`. `txnId` is stable across retries of the same
 * outbox entry, so the homeserver keeps a retried send from doubling.
 * Returns the message-map row to record, for events that create one.
 */
export async function sendToMatrix(
  deps: ToMatrixDeps,
  runtime: BridgeRuntime,
  roomId: string,
  event: RemoteEvent,
  txnId: string,
): Promise<MessageMapping | undefined> {
  // The bot's doing, not the sender's ghost's: no ghost is made for these.
  if (event.kind === 'power-levels') return setGhostLevels(deps, runtime, roomId, event);
  if (event.kind === 'join-rule') return setJoinRule(deps, runtime, roomId, event);
  if (event.kind === 'pins') return setPins(deps, runtime, roomId, event);
  if (event.kind === 'membership' && event.matrixUser) return removeMatrixUser(deps, roomId, event);
  if (event.kind === 'bridge-notice') {
    const content = { msgtype: 'm.notice', body: event.text };
    await deps.voices.sendEvent(roomId, 'm.room.message', content, txnId, event.timestamp);
    return undefined;
  }
  const intent = await deps.ghosts.intentFor(runtime, event.sender);
  const mapping = (remoteId: string, eventId: string): MessageMapping => ({
    bridge: runtime.id,
    portalKey: event.portal,
    remoteId,
    roomId,
    eventId,
  });
  const target = async (remoteId: string) =>
    (
      await findAfterSend(
        deps.sendingToNetwork,
        roomId,
        () => deps.store.messages.byRemote(runtime.id, event.portal, remoteId),
        deps.inFlight,
      )
    )?.eventId;
  const ts = event.timestamp;
  const mentionName = (userId: string) => runtime.remoteUserOf(userId) ?? userId;

  switch (event.kind) {
    case 'message': {
      // A network that sends the same message twice (a replay after its reconnect) shows it once.
      const already = await deps.store.messages.byRemote(runtime.id, event.portal, event.id);
      if (already) return undefined;
      // Text first, then one event per attachment; the message map points at the first.
      const parts: Record<string, unknown>[] = [
        ...(event.content.text || !event.content.attachments?.length
          ? [{ ...toMatrixContent(event.content, { mentionName }) }]
          : []),
        ...(event.content.attachments ?? []).map((a) => ({ ...attachmentToMatrixContent(a) })),
      ];
      const replyTo = event.replyTo && (await target(event.replyTo));
      const threadRoot = event.thread && (await target(event.thread));
      if (threadRoot) {
        // Every part goes into the thread; a real reply inside it only on the first.
        for (const [i, part] of parts.entries()) {
          const real = i === 0 && replyTo !== undefined;
          part['m.relates_to'] = {
            rel_type: 'm.thread',
            event_id: threadRoot,
            is_falling_back: !real,
            'm.in_reply_to': { event_id: real ? replyTo : threadRoot },
          };
        }
        if (replyTo) await mentionRepliedSender(deps, roomId, replyTo, intent.userId, parts[0]!);
      } else if (replyTo) {
        parts[0]!['m.relates_to'] = { 'm.in_reply_to': { event_id: replyTo } };
        await mentionRepliedSender(deps, roomId, replyTo, intent.userId, parts[0]!);
      }
      let first: string | undefined;
      for (const [i, part] of parts.entries()) {
        const eventId = await intent.sendEvent(
          roomId,
          'm.room.message',
          part,
          i === 0 ? txnId : `${txnId}.${i}`,
          ts,
        );
        first ??= eventId;
      }
      return mapping(event.id, first!);
    }
    case 'edit': {
      const original = await target(event.target);
      if (!original) return undefined; // an edit of a message Matrix never saw
      const newContent = toMatrixContent(event.content, { mentionName });
      await intent.sendEvent(
        roomId,
        'm.room.message',
        {
          ...newContent,
          body: `* ${newContent.body}`,
          'm.new_content': newContent,
          'm.relates_to': { rel_type: 'm.replace', event_id: original },
        },
        txnId,
        ts,
      );
      return undefined;
    }
    case 'delete': {
      const original = await target(event.target);
      if (original) await deps.client.redact(roomId, original, txnId, event.reason, intent.userId);
      return undefined;
    }
    case 'reaction': {
      const original = await target(event.target);
      if (!original) return undefined;
      const eventId = await intent.sendEvent(
        roomId,
        'm.reaction',
        { 'm.relates_to': { rel_type: 'm.annotation', event_id: original, key: event.key } },
        txnId,
        ts,
      );
      return mapping(event.id, eventId);
    }
    case 'typing':
      await intent.ensureJoined(roomId);
      await deps.client.setTyping(roomId, intent.userId, event.typing, 30_000);
      return undefined;
    case 'receipt': {
      const upTo = await target(event.upTo);
      if (upTo) {
        await intent.ensureJoined(roomId);
        await deps.client.sendReceipt(roomId, upTo, intent.userId);
      }
      return undefined;
    }
    case 'presence':
      // Best effort: a homeserver with presence turned off refuses it (or ignores it), and the
      // room's next events must not wait on a retry loop for something so fleeting.
      await intent
        .setPresence(event.presence, event.status)
        .catch((err: unknown) =>
          deps.log?.debug(
            { err, bridge: runtime.id, userId: intent.userId, portal: event.portal },
            "the homeserver did not take a ghost's presence: dropped",
          ),
        );
      return undefined;
    case 'membership':
      if (event.membership === 'join') await intent.ensureJoined(roomId);
      else if (event.membership === 'leave')
        await deps.client.leave(roomId, intent.userId, event.reason).catch(ignoreNotInRoom);
      // A kick, ban or unban on the network: the bot carries it out, with who did it in the reason
      // (an unban of a ghost that is not banned changes nothing).
      else
        await deps.client[event.membership](
          roomId,
          intent.userId,
          kickReason(runtime, event.actor, event.reason),
        );
      return undefined;
    case 'call': {
      const { kind: _kind, portal: _portal, sender: _sender, timestamp: _ts, ...signal } = event;
      const { type, content } = callToMatrix(signal, GHOST_PARTY_ID);
      await intent.sendEvent(roomId, type, content, txnId, ts);
      return undefined;
    }
    case 'topic':
      // The bot sets it: ghosts have no power to change room state.
      await deps.client.putState(roomId, 'm.room.topic', '', { topic: event.topic });
      return undefined;
    case 'name':
      await deps.client.putState(roomId, 'm.room.name', '', { name: event.name });
      return undefined;
  }
}

type CreateEvent = { sender: string; content: Record<string, unknown> } | undefined;

/** Per client, per room: its create event (asked once: it never changes). */
const createEvents = new WeakMap<MatrixClient, Map<string, Promise<CreateEvent>>>();
function createEventOf(client: MatrixClient, roomId: string): Promise<CreateEvent> {
  let rooms = createEvents.get(client);
  if (!rooms) createEvents.set(client, (rooms = new Map()));
  let create = rooms.get(roomId);
  if (!create) {
    // The create event's sender is only in the full state (getState answers content alone).
    create = client
      .roomState(roomId)
      .then((state) => state.find((e) => e.type === 'm.room.create' && e.state_key === ''));
    create.catch(() => rooms.delete(roomId));
    rooms.set(roomId, create);
  }
  return create;
}

/** Whether the bot is an infinite-power creator of the room (room v12). */
const botCreated = async (client: MatrixClient, roomId: string, bot: string) =>
  isInfiniteCreator(await createEventOf(client, roomId), bot);

/**
 * Ghosts' power levels (channel operators, say): one `m.room.power_levels` event by the bot,
 * merged into the current one (see power-levels.ts for what the bot never changes). A room where
 * the bot may not change them (a linked room) keeps its levels; that is logged, not retried.
 */
async function setGhostLevels(
  deps: ToMatrixDeps,
  runtime: BridgeRuntime,
  roomId: string,
  event: PowerLevelsEvent,
): Promise<undefined> {
  const current = (await deps.client.getState(roomId, 'm.room.power_levels', '')) ?? {};
  const levels = new Map(event.levels.map((l) => [runtime.ghostUserId(l.user), l.level]));
  const bot = deps.botUserId;
  const result = mergeGhostLevels(current, {
    bot,
    botIsCreator: await botCreated(deps.client, roomId, bot),
    levels,
    complete: event.complete === true,
    isGhost: (userId) => runtime.ownsUser(userId),
  });
  if (result.changed) await deps.client.putState(roomId, 'm.room.power_levels', '', result.content);
  else if (result.reason)
    deps.log?.info(
      { bridge: runtime.id, roomId, portal: event.portal },
      "the bridge bot may not change this room's power levels: ghosts' levels not set",
    );
  return undefined;
}

/** The room's pinned events: the Matrix events of the remote pinned messages, set by the bot. */
async function setPins(
  deps: ToMatrixDeps,
  runtime: BridgeRuntime,
  roomId: string,
  event: Extract<RemoteEvent, { kind: 'pins' }>,
): Promise<undefined> {
  const pinned: string[] = [];
  for (const remoteId of event.pinned) {
    const row = await deps.store.messages.byRemote(runtime.id, event.portal, remoteId);
    if (row && !pinned.includes(row.eventId)) pinned.push(row.eventId);
  }
  const current = (await deps.client.getState(roomId, 'm.room.pinned_events', '')) as
    { pinned?: unknown } | undefined;
  if (JSON.stringify(current?.pinned ?? []) === JSON.stringify(pinned)) return undefined;
  await deps.client.putState(roomId, 'm.room.pinned_events', '', { pinned });
  return undefined;
}

/**
 * The chat opened or closed: the bot sets the join rule of a room it made. A room linked to the
 * chat (made by someone else) keeps its rules: who may enter it is its owners' choice.
 */
async function setJoinRule(
  deps: ToMatrixDeps,
  runtime: BridgeRuntime,
  roomId: string,
  event: Extract<RemoteEvent, { kind: 'join-rule' }>,
): Promise<undefined> {
  const current = await deps.client.getState(roomId, 'm.room.join_rules', '');
  if (current?.join_rule === event.joinRule) return undefined; // the common case: sent at each join
  if ((await createEventOf(deps.client, roomId))?.sender !== deps.botUserId) {
    deps.log?.info(
      { bridge: runtime.id, roomId, portal: event.portal, joinRule: event.joinRule },
      'a linked room keeps its join rule',
    );
    return undefined;
  }
  await deps.client.putState(roomId, 'm.room.join_rules', '', { join_rule: event.joinRule });
  return undefined;
}

/** One of the bridge's Matrix users was kicked or banned on the network: the bot does it in the room. */
async function removeMatrixUser(
  deps: ToMatrixDeps,
  roomId: string,
  event: MembershipEvent,
): Promise<undefined> {
  const user = event.matrixUser!;
  if (event.membership !== 'kick' && event.membership !== 'ban') return undefined;
  if (user === deps.botUserId) return undefined;
  await deps.client[event.membership](roomId, user, event.reason).catch(ignoreNotInRoom);
  return undefined;
}

function kickReason(
  runtime: BridgeRuntime,
  actor: RemoteEvent['sender'] | undefined,
  reason?: string,
): string | undefined {
  const by = actor ? `by ${actor} on ${runtime.connector.displayName}` : undefined;
  return [by, reason].filter(Boolean).join(': ') || undefined;
}

function ignoreNotInRoom(err: unknown): void {
  if ((err as { errcode?: string }).errcode !== 'M_FORBIDDEN') throw err;
}

/**
 * A reply mentions the sender of what it replies to (as Matrix clients do: they are notified),
 * unless that is the replying ghost itself. Best effort: a reply still goes out unfetched.
 */
async function mentionRepliedSender(
  deps: ToMatrixDeps,
  roomId: string,
  repliedId: string,
  ghostUserId: string,
  content: Record<string, unknown>,
): Promise<void> {
  const replied = await deps.client.getEvent(roomId, repliedId).catch(() => undefined);
  const sender = replied?.sender;
  if (!sender || sender === ghostUserId) return;
  const mentions = (content['m.mentions'] ?? {}) as { user_ids?: string[] };
  const userIds = mentions.user_ids ?? [];
  if (!userIds.includes(sender))
    content['m.mentions'] = { ...mentions, user_ids: [...userIds, sender] };
}
