/**
 * The status page's HTTP side, under `/_switchboard/status/`:
 *
 *   GET  login?t=<link token>  opens a link from the bot: a session cookie, then the page
 *   GET  ./                    the page (portals searched and paged with ?q=&bridge=&page=)
 *   GET  live                  the live part of the page, which the page's script reloads
 *   GET  api                   the same as JSON, for scripts (also ?q=&page= for portals)
 *   GET  portal?room=<id>      one room's recent events and outcomes
 *   POST retry                 retries a failed event (the 🔁 reaction's and `retry`'s path)
 *   POST logout
 *   GET  assets/…              the page's script and style, uPlot
 *
 * Without a session or the token: 401. A wrong token, or a link that is bad, used or expired:
 * 403. A POST from a session must carry its CSRF token and come from the page's own origin.
 */
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { STATUS_CSS, STATUS_JS, uplotAsset } from './assets.js';
import { cookieValue, SESSION_COOKIE, type Session, type StatusAuth } from './auth.js';
import { liveSections, messagePage, portalPage, statusPage } from './page.js';
import type { StatusSource } from './snapshot.js';

export const STATUS_PATH = '/_switchboard/status';

export interface StatusRouterOptions {
  auth: StatusAuth;
  source: StatusSource;
  /** Core's retry: the same as the 🔁 reaction and the `retry` command. */
  retry(eventId: string): Promise<boolean>;
  /** Whether the page is reached over https (the cookie is then `Secure`). */
  secure: boolean;
  /** The cookie's path: STATUS_PATH behind the path prefix of the URL admins use (a reverse proxy's). */
  cookiePath?: string;
  log: Logger;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

type Access = { kind: 'session'; session: Session } | { kind: 'token' };

function guard(res: Response): Response {
  return res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}

const wantsJson = (req: Request) => (req.get('accept') ?? '').includes('application/json');

export function statusRouter(opts: StatusRouterOptions): Router {
  const { auth, source, log } = opts;
  const router = Router();
  const inner = Router();
  const cookiePath = opts.cookiePath ?? STATUS_PATH;
  // The page's links are relative: it must be reached with its trailing slash.
  router.get(STATUS_PATH, (req, res, next) => {
    const rest = req.originalUrl.slice(STATUS_PATH.length);
    if (rest.startsWith('/')) return next(); // non-strict routing matches the slash too
    // Relative, so that it works behind a reverse proxy's path prefix too.
    res.redirect(308, `status/${rest}`);
  });
  router.use(STATUS_PATH, inner);

  const refuse = (req: Request, res: Response, status: 401 | 403, message: string) => {
    guard(res).status(status);
    if (wantsJson(req) || req.get('authorization')) res.json({ error: message });
    else res.type('html').send(messagePage('Switchboard status', message));
  };

  /** Who is asking, or the refusal already sent. */
  const access = (req: Request, res: Response): Access | undefined => {
    const bearer = auth.bearer(req.get('authorization'));
    if (bearer === 'ok') return { kind: 'token' };
    if (bearer === 'bad') {
      refuse(req, res, 403, 'Wrong token.');
      return undefined;
    }
    const session = auth.session(cookieValue(req.get('cookie'), SESSION_COOKIE));
    if (session) return { kind: 'session', session };
    refuse(
      req,
      res,
      401,
      'Sign in with a link from the bridge bot: send it `status` in your management room (bridge admins only).',
    );
    return undefined;
  };

  inner.get('/login', (req, res) => {
    const token = typeof req.query.t === 'string' ? req.query.t : '';
    const verdict = auth.redeem(token);
    if (!verdict.ok) {
      const why = {
        invalid: 'This link is not valid.',
        expired: 'This link has expired.',
        used: 'This link was used already: each link opens once.',
      }[verdict.reason];
      return refuse(req, res, 403, `${why} Ask the bridge bot for a new one (\`status\`).`);
    }
    const { session } = verdict;
    log.info({ userId: session.userId }, 'an admin opened the status page');
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    res.append(
      'Set-Cookie',
      `${SESSION_COOKIE}=${session.id}; Path=${cookiePath}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`,
    );
    // Not a 30x: a cookie set in a redirect chain that began on another site (the chat client)
    // is not sent back with SameSite=Strict. The page's own navigation is same-site.
    guard(res)
      .type('html')
      .send(
        messagePage('Switchboard status', 'Signed in; opening the status page…').replace(
          '</head>',
          '<meta http-equiv="refresh" content="0; url=./"></head>',
        ),
      );
  });

  inner.get('/assets/:name', (req, res) => {
    if (!access(req, res)) return;
    const name = req.params.name;
    const assets: Record<string, [string, () => string]> = {
      'status.css': ['text/css', () => STATUS_CSS],
      'status.js': ['text/javascript', () => STATUS_JS],
      'uPlot.min.css': ['text/css', () => uplotAsset('uPlot.min.css')],
      'uPlot.iife.min.js': ['text/javascript', () => uplotAsset('uPlot.iife.min.js')],
    };
    const asset = assets[name];
    if (!asset) return guard(res).status(404).type('text').send('no such asset');
    guard(res).type(`${asset[0]}; charset=utf-8`).send(asset[1]());
  });

  const portalQuery = (req: Request) => ({
    ...(typeof req.query.q === 'string' && req.query.q.trim()
      ? { search: req.query.q.trim().slice(0, 200) }
      : {}),
    ...(typeof req.query.bridge === 'string' && req.query.bridge
      ? { bridge: req.query.bridge.slice(0, 100) }
      : {}),
    page: Number(req.query.page) || 1,
  });

  inner.get('/', async (req, res) => {
    const who = access(req, res);
    if (!who) return;
    const [snapshot, portals] = await Promise.all([
      source.snapshot(),
      source.portals(portalQuery(req)),
    ]);
    const retried = typeof req.query.retried === 'string' ? req.query.retried : undefined;
    const notice =
      retried === undefined
        ? undefined
        : req.query.ok === '1'
          ? `Retrying ${retried}.`
          : `${retried} is not a failed event (retried already?).`;
    guard(res)
      .type('html')
      .send(
        statusPage(snapshot, portals, {
          csrf: who.kind === 'session' ? who.session.csrf : '',
          ...(who.kind === 'session' ? { userId: who.session.userId } : {}),
          ...(notice ? { notice } : {}),
        }),
      );
  });

  inner.get('/live', async (req, res) => {
    const who = access(req, res);
    if (!who) return;
    const snapshot = await source.snapshot();
    guard(res)
      .type('html')
      .send(liveSections(snapshot, who.kind === 'session' ? who.session.csrf : '').text);
  });

  inner.get('/api', async (req, res) => {
    if (!access(req, res)) return;
    const [snapshot, portals] = await Promise.all([
      source.snapshot(),
      source.portals(portalQuery(req)),
    ]);
    guard(res).json({ ...snapshot, portals });
  });

  inner.get('/portal', async (req, res) => {
    if (!access(req, res)) return;
    const roomId = typeof req.query.room === 'string' ? req.query.room : '';
    if (!/^![^\s]+$/.test(roomId)) return guard(res).status(400).type('text').send('bad room id');
    const outcomes = await source.roomOutcomes(roomId);
    if (wantsJson(req)) return guard(res).json({ roomId, outcomes });
    guard(res)
      .type('html')
      .send(portalPage(roomId, outcomes, Date.now()));
  });

  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const json = express.json({ limit: '4kb' });

  /** A POST from a session: its CSRF token, and from this origin when the browser says. */
  const postAllowed = (req: Request, res: Response, who: Access): boolean => {
    if (who.kind === 'token') return true; // no cookie involved: nothing a page elsewhere can ride
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const sameOrigin =
      (site === undefined || site === 'same-origin') &&
      (origin === undefined || origin === 'null' || new URL(origin).host === req.get('host'));
    const body = req.body as Record<string, unknown> | undefined;
    if (sameOrigin && auth.csrfOk(who.session, req.get('x-csrf-token') ?? body?.csrf)) return true;
    refuse(
      req,
      res,
      403,
      'This form is stale or came from elsewhere: reload the page and try again.',
    );
    return false;
  };

  inner.post('/retry', form, json, async (req, res) => {
    const who = access(req, res);
    if (!who || !postAllowed(req, res, who)) return;
    const eventId = (req.body as { event?: unknown } | undefined)?.event;
    if (typeof eventId !== 'string' || !/^\$\S+$/.test(eventId))
      return guard(res).status(400).type('text').send('event: an event id ($…) is required');
    const ok = await opts.retry(eventId);
    log.info(
      { eventId, by: who.kind === 'session' ? who.session.userId : 'token', ok },
      'retry from the status page',
    );
    if (who.kind === 'token' || wantsJson(req)) return guard(res).json({ retried: ok });
    guard(res).redirect(303, `./?retried=${encodeURIComponent(eventId)}&ok=${ok ? 1 : 0}#failures`);
  });

  inner.post('/logout', form, (req, res) => {
    const who = access(req, res);
    if (!who || !postAllowed(req, res, who)) return;
    if (who.kind === 'session') auth.endSession(who.session.id);
    res.append(
      'Set-Cookie',
      `${SESSION_COOKIE}=; Path=${cookiePath}; Max-Age=0; HttpOnly; SameSite=Strict`,
    );
    guard(res).type('html').send(messagePage('Switchboard status', 'Signed out.'));
  });

  return router;
}
