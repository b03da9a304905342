/** The provisioning HTTP API: list, link and unlink portals; authenticated by a shared secret. */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Inbox, PortalRow } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import { PermissionError, type PortalLinks } from './portal-links.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
const fail = (res: Response, status: number, errcode: string, error: string) =>
  res.status(status).json({ errcode, error });

/** The bridge's settings of a link (`options`): names to strings, nothing else. */
const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

export function provisioningRouter(opts: {
  secret: string;
  links: PortalLinks;
  inbox: Inbox;
  runtimes: Map<string, BridgeRuntime>;
}): express.Router {
  const router = express.Router();
  const expected = digest(opts.secret);

  router.use((req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer '))
      return fail(res, 401, 'M_MISSING_TOKEN', 'Authorization: Bearer <secret> is required');
    if (!timingSafeEqual(digest(header.slice(7)), expected))
      return fail(res, 403, 'M_FORBIDDEN', 'wrong provisioning secret');
    next();
  });
  router.use(express.json({ limit: '64kb' }));

  const runtimeOf = (res: Response, id: unknown) => {
    const runtime = typeof id === 'string' ? opts.runtimes.get(id) : undefined;
    if (!runtime) fail(res, 404, 'M_NOT_FOUND', `no enabled bridge "${String(id)}"`);
    return runtime;
  };
  const portalJson = async (p: PortalRow) => ({
    bridge: p.bridge,
    remote_id: p.portalKey,
    room_id: p.roomId,
    created_at: p.createdAt,
    health: await opts.inbox.health(p.roomId),
  });

  router.get('/portals', async (req, res) => {
    const bridge = typeof req.query.bridge === 'string' ? req.query.bridge : undefined;
    res.json({ portals: await Promise.all((await opts.links.list(bridge)).map(portalJson)) });
  });

  router.post('/portals', async (req, res) => {
    const body = (req.body ?? {}) as {
      bridge?: unknown;
      remote_id?: unknown;
      room_id?: unknown;
      options?: unknown;
    };
    const runtime = runtimeOf(res, body.bridge);
    if (!runtime) return;
    if (typeof body.remote_id !== 'string' || typeof body.room_id !== 'string') {
      return fail(res, 400, 'M_BAD_JSON', 'the body needs string "remote_id" and "room_id"');
    }
    const options = body.options ?? {};
    if (!isStringRecord(options)) {
      return fail(
        res,
        400,
        'M_BAD_JSON',
        '"options" must be an object of strings, like {"password": "..."}',
      );
    }
    try {
      const row = await opts.links.link(runtime, body.remote_id, body.room_id, { options });
      res.status(201).json(await portalJson(row));
    } catch (err) {
      fail(res, err instanceof PermissionError ? 403 : 400, 'M_UNKNOWN', (err as Error).message);
    }
  });

  router.delete('/portals/:bridge/:remoteId', async (req, res) => {
    const runtime = runtimeOf(res, req.params.bridge);
    if (!runtime) return;
    const row = await opts.links.unlink(runtime, req.params.remoteId);
    if (!row) return fail(res, 404, 'M_NOT_FOUND', 'no such portal');
    res.json({});
  });

  router.use((_req: Request, res: Response) =>
    fail(res, 404, 'M_UNRECOGNIZED', 'unknown provisioning endpoint'),
  );
  // The body parser's errors (malformed JSON, too large) are the caller's: answer them here, not with a 500.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status !== 'number' || status < 400 || status >= 500) return next(err);
    fail(res, status, status === 413 ? 'M_TOO_LARGE' : 'M_NOT_JSON', (err as Error).message);
  });
  return router;
}
