/**
 * Checks the homeserver's `hs_token` on every homeserver → appservice request:
 * `Authorization: Bearer <token>` (spec v1.4+) or the legacy `?access_token=`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './http-answers.js';

/** Digests have one length whatever the token's, so the comparison leaks neither content nor length. */
export const tokenDigest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

type TokenVerdict = 'missing' | 'wrong' | 'ok';

/** The verdict on a request's `Authorization` header and `access_token` query parameter. */
export function hsTokenVerdict(
  header: string | undefined,
  query: unknown,
  expected: Buffer,
): TokenVerdict {
  const supplied: string[] = [];
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return 'wrong';
    supplied.push(match[1]!);
  }
  if (query !== undefined) {
    if (typeof query !== 'string') return 'wrong'; // repeated or nested parameter
    supplied.push(query);
  }
  if (supplied.length === 0) return 'missing';
  // When both are given they must both match (spec: "should ensure both match").
  let ok = true;
  for (const token of supplied) ok = timingSafeEqual(tokenDigest(token), expected) && ok;
  return ok ? 'ok' : 'wrong';
}

export function requireHsToken(hsToken: string): RequestHandler {
  const expected = tokenDigest(hsToken);
  return (req, res, next) => {
    switch (hsTokenVerdict(req.headers.authorization, req.query.access_token, expected)) {
      case 'ok':
        return next();
      case 'missing':
        return sendError(res, 401, 'M_UNAUTHORIZED', 'Missing homeserver token');
      case 'wrong':
        return sendError(res, 403, 'M_FORBIDDEN', 'Bad homeserver token');
    }
  };
}
