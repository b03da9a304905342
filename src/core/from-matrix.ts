/** Matrix → network: turns one stored Matrix event into a connector call for one portal in its room. */
import {
  BridgeError,
  canEdit,
  canMembership,
  canSetTopic,
  canReact,
  canRedact,
  defaultCapabilities,
  type MatrixEventId,
  type MatrixRoomId,
  type MatrixUserId,
  type PortalKey,
  type RemoteMessageId,
} from '../connector.js';
import { fromMatrixContent } from '../format/matrix-content.js';
import type { ClientEvent } from '../matrix/events.js';
import type { MessageMap, PortalRow } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { MemberNames } from './member-names.js';

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
}

/** Delivers `ev` to one bridge's portal; throws a BridgeError (or any error) on failure. */
export async function deliverToNetwork(
  deps: DeliverDeps,
  runtime: BridgeRuntime,
  portal: PortalRow,
  ev: ClientEvent,
): Promise<void> {
  const connector = runtime.connector;
  const content = obj(ev.content) ?? {};
  const relation = obj(content['m.relates_to']);
  const mapped = async (eventId: unknown) =>
    typeof eventId === 'string'
      ? ((await deps.messages.byEvent(runtime.id, eventId))?.remoteId as
          RemoteMessageId | undefined)
      : undefined;
  const base = async () => ({
    portal: portal.portalKey as PortalKey,
    roomId: ev.room_id as MatrixRoomId,
    eventId: ev.event_id as MatrixEventId,
    sender: {
      userId: ev.sender as MatrixUserId,
      displayName: await deps.members.get(ev.room_id, ev.sender),
      ...(viaBridge ? { viaBridge } : {}),
    },
    timestamp: typeof ev.origin_server_ts === 'number' ? ev.origin_server_ts : Date.now(),
  });
  const record = (remoteId: string) =>
    deps.messages.add({
      bridge: runtime.id,
      portalKey: portal.portalKey,
      remoteId,
      roomId: ev.room_id,
      eventId: ev.event_id,
    });
  const reason = str(content.reason);
  const viaBridge = deps.bridgeOf(ev.sender);

  // A replay after a crash: what the network already has is not sent again.
  const recordsRemoteId =
    ev.type === 'm.reaction' ||
    (ev.type === 'm.room.message' && relation?.rel_type !== 'm.replace');
  if (recordsRemoteId && (await deps.messages.byEvent(runtime.id, ev.event_id))) return;

  switch (ev.type) {
    case 'm.room.message': {
      if (relation?.rel_type === 'm.replace') {
        if (!canEdit(connector)) throw unsupported(runtime, 'edits');
        const target = await mapped(relation.event_id);
        if (!target)
          throw new BridgeError('unknown-target', 'the edited message was never bridged');
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
      const replyTo = await mapped(obj(relation?.['m.in_reply_to'])?.event_id);
      const result = await connector.handleMatrixMessage({
        ...(await base()),
        content: checkSize(runtime, message),
        ...(replyTo ? { replyTo } : {}),
      });
      await record(result.remoteId);
      return;
    }
    case 'm.room.redaction': {
      const target = await mapped(ev.redacts ?? content.redacts);
      if (!target) return; // nothing of it reached the network (a notice, say)
      if (!canRedact(connector)) throw unsupported(runtime, 'deleting messages');
      return connector.handleMatrixRedaction({
        ...(await base()),
        target,
        ...(reason ? { reason } : {}),
      });
    }
    case 'm.reaction': {
      const target = await mapped(relation?.event_id);
      const key = str(relation?.key);
      if (!target || !key || relation?.rel_type !== 'm.annotation') return;
      if (!canReact(connector)) throw unsupported(runtime, 'reactions');
      const result = await connector.handleMatrixReaction({ ...(await base()), target, key });
      await record(result.remoteId);
      return;
    }
    case 'm.room.member': {
      const target = ev.state_key;
      if (!canMembership(connector) || !target) return;
      const membership = str(content.membership);
      const kind = membership === 'leave' && target !== ev.sender ? 'kick' : membership;
      // A ghost's own comings and goings are the bridge's doing; a user kicking or banning one is not.
      if (runtime.ownsUser(target) && kind !== 'kick' && kind !== 'ban') return;
      if (
        kind !== 'join' &&
        kind !== 'leave' &&
        kind !== 'invite' &&
        kind !== 'ban' &&
        kind !== 'kick'
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
    default:
      return; // state and other events are not messages: nothing to deliver
  }
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
