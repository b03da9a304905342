/**
 * Replies both ways through IRCv3's client tag `+draft/reply` (the msgid of the message replied
 * to), where the server carries client tags (`message-tags`): an IRC user's reply to a bridged
 * message becomes a Matrix reply, and a Matrix reply to a message from IRC carries the tag on its
 * first line, besides the quote that clients without replies show.
 */
import type { RemoteMessageId } from '../../../src/connector.js';
import { msgidOf, msgidRemoteId } from '../ids.js';

const REPLY_TAG = '+draft/reply';

/** The message an IRC message replies to, from its tags. */
export function replyTargetOf(
  tags: Record<string, string> | undefined,
): RemoteMessageId | undefined {
  const msgid = tags?.[REPLY_TAG];
  return msgid ? msgidRemoteId(msgid) : undefined;
}

/** The tags (`@…` and a space) for the first line of a reply to `target`; '' when it has no msgid. */
export function replyTags(target: RemoteMessageId | undefined): string {
  const msgid = target && msgidOf(target);
  return msgid ? `@${REPLY_TAG}=${escapeTagValue(msgid)} ` : '';
}

/** IRCv3 tag value escaping: a msgid is the server's, so it may hold anything. */
function escapeTagValue(value: string): string {
  return value.replace(/[\\; \r\n\0]/g, (c) => TAG_ESCAPES[c] ?? '');
}
const TAG_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  ';': '\\:',
  ' ': '\\s',
  '\r': '\\r',
  '\n': '\\n',
};
