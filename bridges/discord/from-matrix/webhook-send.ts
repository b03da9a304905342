/**
 * What goes out through a channel's webhook: Matrix attachments as uploads (one past Discord's
 * upload limit as a public link in the text instead) and the webhook call itself.
 */
import { Routes, type APIMessage } from 'discord.js';
import { BridgeError, type MatrixMessage } from '../../../src/connector.js';
import { discordCode, toBridgeError, UNKNOWN_WEBHOOK } from '../connection/errors.js';
import { escapeDiscord } from '../format/format.js';
import type { FromMatrixDeps } from './from-matrix.js';

export interface UploadFile {
  name: string;
  data: Uint8Array;
  contentType: string;
}

const megabytes = (n: number) =>
  n < 1024
    ? `${n} bytes`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A file name Discord takes: no path, no control characters, at most 100 characters. */
export const uploadName = (name: string): string =>
  [
    ...name
      .replace(/^.*[\\/]/, '')
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim(),
  ]
    .slice(-100)
    .join('') || 'file';

/**
 * Matrix attachments downloaded for Discord. One that would take the message past Discord's
 * upload limit goes as a public link of core's (`public_links`) in the text instead; without
 * public links it is refused, saying why.
 */
export async function filesOf(
  deps: FromMatrixDeps,
  msg: MatrixMessage,
): Promise<{ files: UploadFile[]; links: string[] }> {
  const files: UploadFile[] = [];
  const links: string[] = [];
  let total = 0;
  const tooLarge = async (name: string, size: number, mxc: string, mimeType?: string) => {
    const link = await deps
      .publicLink({ mxc, name, ...(mimeType ? { mimeType } : {}) })
      .catch(() => undefined);
    if (link) return links.push(`📎 [${escapeDiscord(name)}](<${link}>) (${megabytes(size)})`);
    throw new BridgeError(
      'too-large',
      `${name} is ${megabytes(size)}: Discord takes at most ${megabytes(deps.maxUploadBytes)} per message from the bridge`,
    );
  };
  for (const a of msg.content.attachments ?? []) {
    const name = uploadName(a.name);
    if (a.size !== undefined && total + a.size > deps.maxUploadBytes) {
      await tooLarge(name, a.size, a.url, a.mimeType);
      continue;
    }
    let media;
    try {
      media = await deps.downloadMedia(a.url);
    } catch (err) {
      throw new BridgeError(
        'network',
        `could not fetch ${name} from Matrix: ${(err as Error).message}`,
        true,
      );
    }
    if (total + media.data.byteLength > deps.maxUploadBytes) {
      await tooLarge(name, media.data.byteLength, a.url, a.mimeType ?? media.contentType);
      continue;
    }
    total += media.data.byteLength;
    files.push({ name, data: media.data, contentType: a.mimeType ?? media.contentType });
  }
  return { files, links };
}

/** Executes the channel's webhook (made again once if it was deleted on Discord). */
export async function executeWebhook(
  deps: FromMatrixDeps,
  channelId: string,
  body: Record<string, unknown>,
  files: UploadFile[] = [],
  thread?: string,
): Promise<APIMessage> {
  for (let attempt = 0; ; attempt++) {
    let hook;
    try {
      hook = await deps.webhooks.for(channelId);
    } catch (err) {
      throw toBridgeError(err, 'to make the channel’s webhook (the bot needs Manage Webhooks)');
    }
    try {
      return (await deps.rest().post(Routes.webhook(hook.id, hook.token), {
        body: files.length
          ? { ...body, attachments: files.map((f, id) => ({ id, filename: f.name })) }
          : body,
        ...(files.length
          ? {
              files: files.map((f) => ({
                name: f.name,
                data: Buffer.from(f.data),
                contentType: f.contentType,
              })),
            }
          : {}),
        query: new URLSearchParams({ wait: 'true', ...(thread ? { thread_id: thread } : {}) }),
        auth: false,
      })) as APIMessage;
    } catch (err) {
      if (discordCode(err) === UNKNOWN_WEBHOOK && attempt === 0) {
        await deps.webhooks.forget(channelId);
        continue;
      }
      throw toBridgeError(err, 'the message');
    }
  }
}
