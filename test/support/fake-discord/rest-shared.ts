/** What the fake's REST routes share: their shape, Discord's error shape, body checks, helpers. */
import type { AllowedMentions, FakeGuildState, FakeWebhook } from './state.js';

export type Handler = (
  m: RegExpExecArray,
  body: Record<string, unknown>,
  query: URLSearchParams,
) => [number, unknown] | Promise<[number, unknown]>;

/** Method, path pattern, rate-limit bucket, handler, whether the bot token is needed. */
export type Route = [string, RegExp, string, Handler, boolean];

/** What the bot and its webhooks did in a channel (the conformance kit's view). */
export interface NoteEntry {
  kind: 'message' | 'edit' | 'delete' | 'reaction';
  id?: string;
  text?: string;
  target?: string;
  thread?: string;
  avatar?: string;
}

export interface RouteHelpers {
  state: FakeGuildState;
  error: typeof error;
  note(channelId: string, entry: NoteEntry): void;
  /** AutoMod's answer when the content has a blocked word. */
  blocked(content: string): [number, unknown] | undefined;
  dispatch(t: string, d: unknown): void;
  gatewayUrl(): string;
  deleteMessage(channelId: string, id: string, webhookId?: string): [number, unknown];
  apiWebhook(w: FakeWebhook): unknown;
  channel(
    id: string,
  ): { id: string; name: string; topic: string | null; parentId?: string } | undefined;
  unknownChannel(): [number, unknown];
  unknownMessage(): [number, unknown];
  unknownWebhook(): [number, unknown];
  /** Where a webhook call goes: `?thread_id=` names a thread of the webhook's channel. */
  threadOr(channelId: string, query: URLSearchParams): string | undefined;
  webhookOf(id: string, token: string): FakeWebhook | undefined;
}

export const MAX_CONTENT = 2000;

export const error = (
  status: number,
  code: number,
  message: string,
  errors?: unknown,
): [number, unknown] => [status, { code, message, ...(errors ? { errors } : {}) }];

export function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function checkMessageBody(body: Record<string, unknown>): [number, unknown] | undefined {
  if (body.content !== undefined && typeof body.content !== 'string')
    return error(400, 50035, 'Invalid Form Body', {
      content: { _errors: [{ code: 'BASE_TYPE_STRING' }] },
    });
  const content = (body.content as string | undefined) ?? '';
  if (content.length > MAX_CONTENT)
    return error(400, 50035, 'Invalid Form Body', {
      content: {
        _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
      },
    });
  if (!content && !body.embeds && !(body.__files as unknown[] | undefined)?.length)
    return error(400, 50006, 'Cannot send an empty message');
  const allowed = body.allowed_mentions as AllowedMentions | undefined;
  if (allowed?.parse?.includes('users') && allowed.users?.length)
    return error(400, 50035, 'Invalid Form Body', {
      allowed_mentions: { _errors: [{ code: 'MUTUALLY_EXCLUSIVE' }] },
    });
  return undefined;
}
