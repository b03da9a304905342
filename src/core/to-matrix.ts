/** Sends one remote event into its Matrix room as the ghost of its sender. */
import type { RemoteEvent } from '../connector.js';
import { attachmentToMatrixContent, toMatrixContent } from '../format/matrix-content.js';
import type { MatrixClient } from '../matrix/client.js';
import type { MessageMapping, Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { GhostDirectory } from './ghosts.js';

export interface ToMatrixDeps {
  store: Store;
  client: MatrixClient;
  ghosts: GhostDirectory;
}

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
  const intent = await deps.ghosts.intentFor(runtime, event.sender);
  const mapping = (remoteId: string, eventId: string): MessageMapping => ({
    bridge: runtime.id,
    portalKey: event.portal,
    remoteId,
    roomId,
    eventId,
  });
  const target = async (remoteId: string) =>
    (await deps.store.messages.byRemote(runtime.id, event.portal, remoteId))?.eventId;
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
      if (replyTo) parts[0]!['m.relates_to'] = { 'm.in_reply_to': { event_id: replyTo } };
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
    case 'membership':
      if (event.membership === 'join') await intent.ensureJoined(roomId);
      else if (event.membership === 'leave')
        await deps.client.leave(roomId, intent.userId, event.reason).catch(ignoreNotInRoom);
      // A kick or ban on the network: the bot carries it out, with who did it in the reason.
      else
        await deps.client[event.membership](
          roomId,
          intent.userId,
          kickReason(runtime, event.actor, event.reason),
        );
      return undefined;
    case 'topic':
      // The bot sets it: ghosts have no power to change room state.
      await deps.client.putState(roomId, 'm.room.topic', '', { topic: event.topic });
      return undefined;
    case 'name':
      await deps.client.putState(roomId, 'm.room.name', '', { name: event.name });
      return undefined;
  }
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
