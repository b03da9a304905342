/** Matrix → network: turns one stored Matrix event into a connector call for one portal in its room. */
import {
  BridgeError,
  canEdit,
  canMembership,
  canPin,
  canSetTopic,
  canSetPowerLevels,
  canReact,
  canRedact,
  canCall,
  defaultCapabilities,
  type MatrixEventId,
  type MatrixRoomId,
  type MatrixUserId,
  type PortalKey,
  type RemoteMessageId,
  type RepliedMessage,
  type SendResult,
} from '../connector.js';
import { fromMatrixContent } from '../format/matrix-content.js';
import { callFromMatrix } from './call-events.js';
import type { ClientEvent } from '../matrix/events.js';
import type { MessageMap, PortalRow } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { MemberNames } from './member-names.js';
import { redactLevel } from './power-levels.js';
import { findAfterSend, type SendsInFlight } from './sends-in-flight.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const unsupported = (runtime: BridgeRuntime, what: string) =>
  new BridgeError('unsupported', `${runtime.connector.displayName} does not support ${what}`);

export interface DeliverDeps {
  messages: MessageMap;
  members: MemberNames;
  /** The bridge whose ghost `userId` is, if any. */
  bridgeOf(userId: string): string | undefined;
  /**
   * An event of the room as the bot sees it (the message a reply quotes, the original of an
   * edit). Without it, replies carry no quote and edits are not checked against their original.
   */
  fetchEvent?(roomId: string, eventId: string): Promise<ClientEvent>;
  /** Each room's send to Matrix under way: an event not mapped yet may be the one it sends. */
  inFlight?: Pick<SendsInFlight, 'settled'>;
}

/** The room's event, or undefined when it cannot be fetched: a quote or a check is not worth a failure. */
const fetchOrNot = async (deps: DeliverDeps, roomId: string, eventId: string) =>
  deps.fetchEvent ? deps.fetchEvent(roomId, eventId).catch(() => undefined) : undefined;

/** The latest text of a message: a replacement by its own sender, bundled by the homeserver, wins. */
function latestContent(original: ClientEvent): unknown {
  const edit = obj(obj(obj(original.unsigned)?.['m.relations'])?.['m.replace']);
  const newContent = obj(edit?.content)?.['m.new_content'];
  return newContent && edit?.sender === original.sender ? newContent : original.content;
}

/** What a network without replies needs to quote the replied-to message, when it can be fetched. */
async function repliedMessage(
  deps: DeliverDeps,
  roomId: string,
  eventId: string,
  remoteId: RemoteMessageId | undefined,
): Promise<RepliedMessage | undefined> {
  const original = await fetchOrNot(deps, roomId, eventId);
  if (original?.type !== 'm.room.message' || typeof original.sender !== 'string') return undefined;
  const content = fromMatrixContent(latestContent(original));
  if (!content) return undefined; // redacted, or of a kind we cannot show
  return {
    eventId: eventId as MatrixEventId,
    sender: original.sender as MatrixUserId,
    senderName: await deps.members.get(roomId, original.sender),
    text: content.text,
    ...(remoteId ? { remoteId } : {}),
  };
}

/**
 * Settles once the event's mapping is committed and the network's later confirmation, where it
 * gives one (`SendResult.confirmed`), came: until then the event is taken but may still fail.
 * (In an object: an async function's promise result would be awaited with it.)
 */
export interface Delivery {
  confirmed?: Promise<void>;
}

/**
 * Delivers `ev` to one bridge's portal; throws a BridgeError (or any error) on failure.
 * `replayed`: the event may have reached the network before (a replay after a crash, a retry);
 * an event just stored for the first time has not.
 */
export async function deliverToNetwork(
  deps: DeliverDeps,
  runtime: BridgeRuntime,
  portal: PortalRow,
  ev: ClientEvent,
  replayed = true,
): Promise<Delivery | void> {
  const connector = runtime.connector;
  const content = obj(ev.content) ?? {};
  const relation = obj(content['m.relates_to']);
  /** The event's mapping; one not mapped yet may be the event the room's send under way sends. */
  const mappedRow = async (eventId: unknown) =>
    typeof eventId === 'string'
      ? findAfterSend(deps.inFlight, ev.room_id, () => deps.messages.byEvent(runtime.id, eventId))
      : undefined;
  const mapped = async (eventId: unknown) =>
    (await mappedRow(eventId))?.remoteId as RemoteMessageId | undefined;
  const base = async () => ({
    portal: portal.portalKey as PortalKey,
    roomId: ev.room_id as MatrixRoomId,
    eventId: ev.event_id as MatrixEventId,
    sender: {
      userId: ev.sender as MatrixUserId,
      ...(await deps.members.profile(ev.room_id, ev.sender)),
      ...(viaBridge ? { viaBridge } : {}),
    },
    timestamp: typeof ev.origin_server_ts === 'number' ? ev.origin_server_ts : Date.now(),
  });
  const mapTo = (remoteId: string) =>
    deps.messages.add({
      bridge: runtime.id,
      portalKey: portal.portalKey,
      remoteId,
      roomId: ev.room_id,
      eventId: ev.event_id,
    });
  /**
   * Maps the event to what it became, at once (lookups find it before the commit: the room's next
   * event, an edit of it, must), then to the ids a later confirmation gives; a refusal confirmed
   * later takes the mapping back, so that a retry sends it again. The room's next event does not
   * wait for the mapping's commit (one commit per message in a busy room otherwise): the event is
   * done once it is committed and fails if it cannot be, as a refusal does.
   */
  const record = (result: SendResult): Delivery => {
    const mapped = mapTo(result.remoteId);
    const answered = result.confirmed?.then(
      async (moreIds) => {
        for (const id of moreIds ?? []) await mapTo(id);
      },
      async (error: unknown) => {
        await deps.messages.remove(runtime.id, ev.event_id);
        throw error;
      },
    );
    return { confirmed: Promise.all([mapped, answered]).then(() => undefined) };
  };
  const reason = str(content.reason);
  const viaBridge = deps.bridgeOf(ev.sender);

  // A replay after a crash: what the network already has is not sent again.
  const recordsRemoteId =
    ev.type === 'm.reaction' ||
    (ev.type === 'm.room.message' && relation?.rel_type !== 'm.replace');
  if (replayed && recordsRemoteId && (await deps.messages.byEvent(runtime.id, ev.event_id))) return;

  switch (ev.type) {
    case 'm.room.message': {
      if (relation?.rel_type === 'm.replace') {
        if (!canEdit(connector)) throw unsupported(runtime, 'edits');
        const target = await mapped(relation.event_id);
        if (!target)
          throw new BridgeError('unknown-target', 'the edited message was never bridged');
        // Clients ignore an edit by anyone but the original's sender (spec, m.replace): so do we.
        const original = await fetchOrNot(deps, ev.room_id, relation.event_id as string);
        if (original && original.sender !== ev.sender) return;
        const newContent = fromMatrixContent(content['m.new_content']);
        if (!newContent) throw unsupported(runtime, 'this kind of edit');
        return connector.handleMatrixEdit({
          ...(await base()),
          target,
          content: checkSize(runtime, newContent),
        });
      }
      const message = fromMatrixContent(content);
      if (!message)
        throw unsupported(runtime, `messages of type ${str(content.msgtype) ?? '(none)'}`);
      // A thread's fallback reply is for clients without threads: a network with threads gets the thread.
      const threads = runtime.connector.capabilities?.threads ?? defaultCapabilities.threads;
      const inThread = relation?.rel_type === 'm.thread';
      const thread = threads && inThread ? await mapped(relation.event_id) : undefined;
      const fallback = inThread && relation.is_falling_back === true;
      const repliedId =
        threads && fallback ? undefined : str(obj(relation?.['m.in_reply_to'])?.event_id);
      const replyTo = await mapped(repliedId);
      const inReplyTo =
        repliedId === undefined
          ? undefined
          : await repliedMessage(deps, ev.room_id, repliedId, replyTo);
      const result = await connector.handleMatrixMessage({
        ...(await base()),
        content: checkSize(runtime, message),
        ...(replyTo ? { replyTo } : {}),
        ...(inReplyTo ? { inReplyTo } : {}),
        ...(thread ? { thread } : {}),
      });
      return record(result);
    }
    case 'm.room.redaction': {
      const redacted = str(ev.redacts) ?? str(content.redacts);
      const target = await mapped(redacted);
      if (!target || !redacted) return; // nothing of it reached the network (a notice, say)
      if (!canRedact(connector)) throw unsupported(runtime, 'deleting messages');
      // Whose it was (a moderator's removal or one's own): the message map keeps no senders and the
      // inbox is not looked up by id (and forgets after `retention_days`): the homeserver is asked,
      // as for edits. Redactions are rare next to messages.
      const original = await fetchOrNot(deps, ev.room_id, redacted);
      const targetSender = typeof original?.sender === 'string' ? original.sender : undefined;
      const sentAt = original?.origin_server_ts;
      return connector.handleMatrixRedaction({
        ...(await base()),
        target,
        ...(reason ? { reason } : {}),
        ...(targetSender ? { targetSender: targetSender as MatrixUserId } : {}),
        ...(typeof sentAt === 'number' ? { targetTimestamp: sentAt } : {}),
      });
    }
    case 'm.reaction': {
      const target = await mapped(relation?.event_id);
      const key = str(relation?.key);
      if (!target || !key || relation?.rel_type !== 'm.annotation') return;
      if (!canReact(connector)) throw unsupported(runtime, 'reactions');
      return record(await connector.handleMatrixReaction({ ...(await base()), target, key }));
    }
    case 'm.room.member': {
      const target = ev.state_key;
      if (!canMembership(connector) || !target) return;
      const membership = str(content.membership);
      // Leaving a ban (`unsigned.prev_content`) is an unban, not a kick.
      const wasBanned = obj(obj(ev.unsigned)?.prev_content)?.membership === 'ban';
      const removed = wasBanned ? 'unban' : 'kick';
      const kind = membership === 'leave' && target !== ev.sender ? removed : membership;
      // A ghost's own comings and goings are the bridge's doing; a user inviting, kicking or
      // banning one is not (an invite lets a network user into a room that is not public).
      const usersDoing = ['invite', 'kick', 'ban', 'unban'];
      if (runtime.ownsUser(target) && (!kind || !usersDoing.includes(kind))) return;
      if (
        kind !== 'join' &&
        kind !== 'leave' &&
        kind !== 'invite' &&
        kind !== 'ban' &&
        kind !== 'kick' &&
        kind !== 'unban'
      )
        return;
      return connector.handleMatrixMembership({
        ...(await base()),
        target: target as MatrixUserId,
        membership: kind,
        ...(reason ? { reason } : {}),
      });
    }
    case 'm.room.topic': {
      // A room whose network has no topics keeps its own: nothing to tell anyone.
      if (ev.state_key !== '' || !canSetTopic(connector)) return;
      return connector.handleMatrixTopic({ ...(await base()), topic: str(content.topic) ?? '' });
    }
    case 'm.room.pinned_events': {
      if (ev.state_key !== '' || !canPin(connector)) return;
      const ids = (v: unknown) =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 500) : [];
      const remote = async (eventIds: string[]) => {
        const out: RemoteMessageId[] = [];
        for (const id of eventIds) {
          const row = await mappedRow(id);
          if (row && row.portalKey === portal.portalKey) out.push(row.remoteId as RemoteMessageId);
        }
        return out;
      };
      const now = ids(content.pinned);
      const before = ids(obj(obj(ev.unsigned)?.prev_content)?.pinned);
      const pinned = await remote(now);
      const added = await remote(now.filter((id) => !before.includes(id)));
      const removed = await remote(before.filter((id) => !now.includes(id)));
      if (!added.length && !removed.length) return;
      return connector.handleMatrixPins({ ...(await base()), pinned, added, removed });
    }
    case 'm.room.power_levels': {
      if (ev.state_key !== '' || !canSetPowerLevels(connector)) return;
      const changes = powerLevelChanges(content, obj(obj(ev.unsigned)?.prev_content));
      const redact = redactLevel(content);
      return connector.handleMatrixPowerLevels({ ...(await base()), changes, redact });
    }
    default: {
      const call = callFromMatrix(ev.type, content);
      if (!call) return; // state and other events are not messages: nothing to deliver
      // A call the network cannot take is told once, at its invite; the rest of it is moot.
      if (!canCall(connector)) {
        if (call.action === 'invite') throw unsupported(runtime, 'calls');
        return;
      }
      return connector.handleMatrixCall({ ...(await base()), ...call });
    }
  }
}

/** The users whose level differs between two `m.room.power_levels` contents (no previous: all listed). */
export function powerLevelChanges(
  content: Json,
  previous: Json | undefined,
): { userId: MatrixUserId; level: number; previous: number }[] {
  const levels = (c: Json | undefined) => {
    const users = obj(c?.users) ?? {};
    const fallback = typeof c?.users_default === 'number' ? c.users_default : 0;
    const of = (u: string) => (typeof users[u] === 'number' ? users[u] : fallback);
    return { users, of };
  };
  const now = levels(content);
  const before = levels(previous);
  const changes: { userId: MatrixUserId; level: number; previous: number }[] = [];
  for (const userId of new Set([...Object.keys(now.users), ...Object.keys(before.users)])) {
    if (!userId.startsWith('@')) continue;
    const level = now.of(userId);
    const was = before.of(userId);
    if (level !== was || !previous)
      changes.push({ userId: userId as MatrixUserId, level, previous: was });
  }
  return changes;
}

function checkSize<T extends { text: string }>(runtime: BridgeRuntime, content: T): T {
  const max = runtime.connector.capabilities?.maxBodyBytes ?? defaultCapabilities.maxBodyBytes;
  const size = Buffer.byteLength(content.text, 'utf8');
  if (size > max) {
    throw new BridgeError(
      'too-large',
      `the message is ${size} bytes; ${runtime.connector.displayName} takes at most ${max}`,
    );
  }
  return content;
}
