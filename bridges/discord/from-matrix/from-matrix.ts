/**
 * Matrix → Discord. Messages go through the channel's webhook with the sender's display name,
 * formatting as Discord markdown (format/format.ts) and `allowed_mentions` naming exactly the
 * Discord users the message pills (never @everyone, @here or roles). Texts over Discord's 2,000
 * characters go as several messages. A reply starts with a quoted line and a link to its
 * original (webhooks cannot reply). Edits and deletions of messages sent from Matrix go through
 * the webhook; a deletion of a Discord user's message is the bot's (Manage Messages). Reactions
 * are the bot's. Discord's refusals reach the sender with Discord's reason
 * (connection/errors.ts). The text of messages is format/message-text.ts, attachments and the
 * webhook call webhook-send.ts.
 */
import { Routes, type REST } from 'discord.js';
import {
  BridgeError,
  remoteMessageId,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixPins,
  type MatrixReaction,
  type MatrixRedaction,
  type MatrixTyping,
  type PublicLinkTarget,
  type RemoteMessageId,
  type SendResult,
} from '../../../src/connector.js';
import {
  discordCode,
  THREAD_EXISTS,
  toBridgeError,
  UNKNOWN_MESSAGE,
} from '../connection/errors.js';
import { makeOwnReactionId, parseMessageId, parseOwnReactionId, parsePortalKey } from '../ids.js';
import { renderContent, replyLead, splitContent } from '../format/message-text.js';
import { executeWebhook, filesOf } from './webhook-send.js';
import { webhookUsername, type Webhooks } from './webhooks.js';

export interface FromMatrixDeps {
  rest(): REST;
  /**
   * Why Discord cannot be reached now (the token was refused, the bridge is stopping), or
   * undefined. The gateway need not be up: messages go out through REST.
   */
  unavailable(): string | undefined;
  webhooks: Webhooks;
  /** The Discord user behind a Matrix user id, when it is one of our ghosts. */
  ghostRemoteId(userId: string): string | undefined;
  guildOf(channelId: string): string | undefined;
  /** Matrix media (`ctx.downloadMedia`). */
  downloadMedia(mxc: string): Promise<{ data: Uint8Array; contentType: string }>;
  /** `ctx.publicLink`: a link to Matrix media too large for Discord (undefined without `public_links`). */
  publicLink(target: PublicLinkTarget): Promise<string | undefined>;
  /**
   * A link Discord can fetch a Matrix user's avatar (`mxc://`) from: core's public link, or
   * undefined (the webhook's own picture then) without `public_links`.
   */
  avatarLink(mxc: string): Promise<string | undefined>;
  /** The Discord custom emoji (`name:id`) whose image the bridge uploaded as this mxc. */
  emojiOf(mxc: string): Promise<string | undefined>;
  /** The largest upload Discord takes (`max_upload_bytes`). */
  maxUploadBytes: number;
  /** The thread each message sent into one is in (kept for edits, deletions and reactions). */
  threads: {
    get(messageId: string): Promise<string | undefined>;
    set(messageId: string, threadId: string): Promise<void>;
  };
  /** Whether a channel id is a thread the bot knows. */
  isThread(id: string): boolean;
}

/** `?thread_id=` for a webhook call into a thread. */
const threadQuery = (thread: string | undefined) =>
  thread ? { query: new URLSearchParams({ thread_id: thread }) } : {};

/**
 * The Discord thread of a Matrix thread whose root is the Discord message `root`: the thread
 * started from that message, made when it has none yet.
 */
async function threadFor(
  deps: FromMatrixDeps,
  channelId: string,
  root: string,
  name: string,
): Promise<string> {
  if (deps.isThread(root)) return root;
  try {
    await deps.rest().post(Routes.threads(channelId, root), {
      body: { name: [...name.replace(/\s+/g, ' ').trim()].slice(0, 100).join('') || 'Thread' },
    });
  } catch (err) {
    if (discordCode(err) !== THREAD_EXISTS) throw toBridgeError(err, 'the thread');
  }
  return root;
}

function channelOf(deps: FromMatrixDeps, portal: string): string {
  const channelId = parsePortalKey(portal);
  if (!channelId)
    throw new BridgeError('unknown-target', `this room is not a Discord channel (${portal})`);
  const unavailable = deps.unavailable();
  if (unavailable) throw new BridgeError('not-connected', unavailable, true);
  return channelId;
}

export async function handleMatrixMessage(
  deps: FromMatrixDeps,
  msg: MatrixMessage,
): Promise<SendResult> {
  const channelId = channelOf(deps, msg.portal);
  const { text, users } = renderContent(deps, msg.content);
  const root = msg.thread && parseMessageId(msg.thread);
  const thread = root ? await threadFor(deps, channelId, root, msg.content.text) : undefined;
  const lead = msg.inReplyTo ? replyLead(msg.inReplyTo, channelId, deps.guildOf(channelId)) : '';
  const { files, links } = await filesOf(deps, msg);
  const body = [lead + text, ...links].filter((l) => l.trim()).join('\n');
  if (!body.trim() && !files.length)
    throw new BridgeError('rejected', 'Discord does not take empty messages');
  const username = webhookUsername(
    msg.sender.displayName,
    msg.sender.userId.slice(1).split(':')[0]!,
  );
  const avatar = msg.sender.avatarUrl && (await deps.avatarLink(msg.sender.avatarUrl));
  const ids: string[] = [];
  const parts = body.trim() ? splitContent(body) : [''];
  for (const [i, part] of parts.entries()) {
    const sent = await executeWebhook(
      deps,
      channelId,
      {
        content: part,
        username,
        ...(avatar ? { avatar_url: avatar } : {}),
        allowed_mentions: { parse: [], users, replied_user: false },
      },
      i === parts.length - 1 ? files : [],
      thread,
    );
    ids.push(sent.id);
    if (thread) await deps.threads.set(sent.id, thread);
  }
  const [first, ...others] = ids;
  if (!first) throw new BridgeError('rejected', 'Discord does not take empty messages');
  return {
    remoteId: remoteMessageId(first),
    ...(others.length
      ? { confirmed: Promise.resolve(others.map((id) => remoteMessageId(id))) }
      : {}),
  };
}

export async function handleMatrixEdit(deps: FromMatrixDeps, edit: MatrixEdit): Promise<void> {
  const channelId = channelOf(deps, edit.portal);
  const target = parseMessageId(edit.target);
  if (!target) throw new BridgeError('unsupported', 'this message cannot be edited on Discord');
  const { text, users } = renderContent(deps, edit.content);
  const hook = await deps.webhooks.for(channelId).catch((err: unknown) => {
    throw toBridgeError(err, 'the edit');
  });
  try {
    await deps.rest().patch(Routes.webhookMessage(hook.id, hook.token, target), {
      ...threadQuery(await deps.threads.get(target)),
      body: { content: splitContent(text)[0] ?? '', allowed_mentions: { parse: [], users } },
      auth: false,
    });
  } catch (err) {
    if (discordCode(err) === UNKNOWN_MESSAGE)
      throw new BridgeError(
        'unsupported',
        'only messages sent from Matrix can be edited from Matrix',
      );
    throw toBridgeError(err, 'the edit');
  }
}

export async function handleMatrixRedaction(
  deps: FromMatrixDeps,
  redaction: MatrixRedaction,
): Promise<void> {
  const channelId = channelOf(deps, redaction.portal);
  const reaction = parseOwnReactionId(redaction.target);
  try {
    if (reaction) {
      const where = (await deps.threads.get(reaction.messageId)) ?? channelId;
      await deps
        .rest()
        .delete(
          Routes.channelMessageOwnReaction(
            where,
            reaction.messageId,
            encodeURIComponent(reaction.emoji),
          ),
        );
      return;
    }
    const target = parseMessageId(redaction.target);
    if (!target) return; // a Discord user's reaction, say: not ours to take back
    const hook = await deps.webhooks.for(channelId);
    const thread = await deps.threads.get(target);
    try {
      await deps.rest().delete(Routes.webhookMessage(hook.id, hook.token, target), {
        auth: false,
        ...threadQuery(thread),
      });
    } catch (err) {
      if (discordCode(err) !== UNKNOWN_MESSAGE) throw err;
      // A Discord user's message, redacted by a Matrix moderator: the bot deletes it (Manage Messages).
      await deps.rest().delete(Routes.channelMessage(thread ?? channelId, target), {
        ...(redaction.reason ? { reason: redaction.reason } : {}),
      });
    }
  } catch (err) {
    throw toBridgeError(err, 'the deletion');
  }
}

export async function handleMatrixReaction(
  deps: FromMatrixDeps,
  reaction: MatrixReaction,
): Promise<SendResult> {
  const channelId = channelOf(deps, reaction.portal);
  const target = parseMessageId(reaction.target);
  if (!target)
    throw new BridgeError('unsupported', 'this message cannot take reactions on Discord');
  // Unicode emoji, or a custom emoji's image the bridge uploaded (`name:id` on Discord); a key
  // that is other text, or another image, is no Discord emoji.
  const custom = reaction.key.startsWith('mxc://') ? await deps.emojiOf(reaction.key) : undefined;
  if (!custom && !/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(reaction.key))
    throw new BridgeError(
      'unsupported',
      reaction.key.startsWith('mxc://')
        ? 'Discord takes only its own custom emoji as image reactions, not an image from Matrix'
        : `Discord takes only emoji as reactions, not “${reaction.key}”`,
    );
  const emoji = custom ?? reaction.key;
  try {
    await deps
      .rest()
      .put(
        Routes.channelMessageOwnReaction(
          (await deps.threads.get(target)) ?? channelId,
          target,
          encodeURIComponent(emoji),
        ),
      );
  } catch (err) {
    throw toBridgeError(err, 'the reaction');
  }
  return { remoteId: makeOwnReactionId(target, emoji, reaction.eventId) as RemoteMessageId };
}

/** Typing shows on Discord for about 10 s per call: a start is sent, a stop has nothing to send. */
export async function handleMatrixTyping(
  deps: FromMatrixDeps,
  typing: MatrixTyping,
): Promise<void> {
  const channelId = parsePortalKey(typing.portal);
  if (!channelId || !typing.typing || deps.unavailable()) return;
  await deps
    .rest()
    .post(Routes.channelTyping(channelId))
    .catch(() => undefined);
}

/** Matrix pins and unpins of bridged messages → the bot pins and unpins them (Pin Messages). */
export async function handleMatrixPins(deps: FromMatrixDeps, change: MatrixPins): Promise<void> {
  const channelId = channelOf(deps, change.portal);
  const where = async (id: string) => (await deps.threads.get(id)) ?? channelId;
  try {
    for (const remote of change.added) {
      const id = parseMessageId(remote);
      if (id) await deps.rest().put(Routes.channelMessagesPin(await where(id), id));
    }
    for (const remote of change.removed) {
      const id = parseMessageId(remote);
      if (!id) continue;
      await deps
        .rest()
        .delete(Routes.channelMessagesPin(await where(id), id))
        .catch((err: unknown) => {
          if (discordCode(err) !== UNKNOWN_MESSAGE) throw err; // deleted meanwhile: unpinned
        });
    }
  } catch (err) {
    throw toBridgeError(err, 'the pin');
  }
}
