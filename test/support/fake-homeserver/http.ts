/** HTTP plumbing of the fake homeserver: route matching, bodies and answers. Kept cheap per request. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountRoutes } from './account-routes.js';
import { roomRoutes } from './room-routes.js';
import { HsError, type Route, type StoredMedia } from './types.js';

const MAX_REQUEST_BYTES = 60 * 1024 * 1024;

type CompiledRoute = Route & { segments: string[] };
const compiled: CompiledRoute[] = [...accountRoutes, ...roomRoutes].map((r) => ({
  ...r,
  segments: r.pattern.split('/'),
}));

/** The route for a request, with its decoded path parameters; 404 or 405 `M_UNRECOGNIZED` otherwise. */
export function matchRoute(method: string, pathname: string): [Route, Record<string, string>] {
  const segments = pathname.split('/');
  let pathKnown = false;
  for (const route of compiled) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const fits = route.segments.every((s, i) => {
      if (!s.startsWith(':')) return s === segments[i];
      params[s.slice(1)] = decode(segments[i]!);
      return true;
    });
    if (!fits) continue;
    if (route.method === method) return [route, params];
    pathKnown = true;
  }
  throw new HsError(pathKnown ? 405 : 404, 'M_UNRECOGNIZED', 'Unrecognized request');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HsError(400, 'M_INVALID_PARAM', 'Bad path encoding');
  }
}

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HsError(400, 'M_NOT_JSON', 'Content not JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HsError(400, 'M_BAD_JSON', 'Content must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The whole request body, or undefined after answering 413 for one that is too large. */
export async function readBody(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      answer(
        res,
        413,
        { errcode: 'M_TOO_LARGE', error: 'Request too large' },
        { connection: 'close' },
      );
      return undefined;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** A string body goes out as it is (a proxy's HTML error page); anything else as JSON. */
export function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html' : 'application/json';
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendMedia(res: ServerResponse, media: StoredMedia): void {
  const disposition = media.filename
    ? `inline; filename=${encodeURIComponent(media.filename)}`
    : 'inline';
  res.writeHead(200, {
    'content-type': media.contentType,
    'content-length': media.data.length,
    'content-disposition': disposition,
  });
  res.end(media.data);
}
