/**
 * The appservice HTTP API (homeserver → bridge), Application Service API v1: transactions, user
 * and alias queries, the five third-party lookups and ping, under `/_matrix/app/v1` and the legacy
 * paths. It authenticates, validates and answers; what an event means is the handlers' business.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ThirdPartyLocation, ThirdPartyProtocol, ThirdPartyUser } from '../connector.js';
import { requireHsToken } from './appservice-auth.js';
import { isObject } from './events.js';
import { errorAnswers, methodNotAllowed, sendError, unrecognizedPath } from './http-answers.js';
import {
  NOT_JSON,
  parseJsonBody,
  ReportedFailure,
  TransactionIntake,
  type TransactionHandler,
} from './transaction-intake.js';

export type { Transaction } from './transaction.js';
export { ReportedFailure } from './transaction-intake.js';
export type { ClientEvent, EphemeralEvent } from './events.js';

export interface AppserviceHandlers {
  onTransaction: TransactionHandler;
  /** true → 200 {}, false → 404 M_NOT_FOUND */
  onUserQuery(userId: string): Promise<boolean>;
  /** true (room created) → 200 {}, false → 404 M_NOT_FOUND */
  onAliasQuery(alias: string): Promise<boolean>;
  thirdPartyProtocol(protocol: string): Promise<ThirdPartyProtocol | undefined>;
  thirdPartyLocations(
    protocol: string,
    fields: Record<string, string>,
  ): Promise<ThirdPartyLocation[]>;
  thirdPartyUsers(protocol: string, fields: Record<string, string>): Promise<ThirdPartyUser[]>;
  thirdPartyLocationByAlias(alias: string): Promise<ThirdPartyLocation[]>;
  thirdPartyUserByUserId(userId: string): Promise<ThirdPartyUser[]>;
  onPing?(transactionId: string | undefined): void;
}

export interface AppserviceRouterOptions {
  hsToken: string;
  handlers: AppserviceHandlers;
  /** Largest accepted request body. Keep it above any real transaction: a 413 is retried forever. */
  maxBodyBytes?: number;
  log: Logger;
  /** Shared with the fast path (transaction-fast-path.ts), so that a retry meets its first try. */
  intake?: TransactionIntake;
}

/** 100 PDUs of at most 64 KiB each plus EDUs and to-device messages stay well below this. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

const V1 = '/_matrix/app/v1';
// The spec's legacy third-party paths live under /unstable; some homeservers used bare ones.
const thirdParty = (rest: string) => [
  `${V1}/thirdparty${rest}`,
  `/_matrix/app/unstable/thirdparty${rest}`,
  `/thirdparty${rest}`,
];

type AsyncHandler = (req: Request, res: Response) => Promise<void>;

export function appserviceRouter(opts: AppserviceRouterOptions): express.Router {
  const { handlers, log } = opts;
  const router = express.Router();
  const auth = requireHsToken(opts.hsToken);
  const body = express.raw({
    type: () => true,
    limit: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  const intake =
    opts.intake ?? new TransactionIntake((...args) => handlers.onTransaction(...args), log);

  /** Handler failures become 500 M_UNKNOWN without details; the log keeps them. */
  const guarded =
    (what: string, handler: AsyncHandler): RequestHandler =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (err) {
        if (err instanceof ReportedFailure) log.debug({ err, what }, 'appservice handler failed');
        else log.error({ err, what }, 'appservice handler failed');
        if (!res.headersSent) sendError(res, 500, 'M_UNKNOWN', 'Internal server error');
      }
    };

  const get = (paths: string[], what: string, handler: AsyncHandler) =>
    router.route(paths).get(auth, guarded(what, handler)).all(methodNotAllowed);

  router
    .route([`${V1}/transactions/:txnId`, '/transactions/:txnId'])
    .put(
      auth,
      body,
      guarded('transaction', async (req, res) => {
        const answer = await intake.receive(param(req, 'txnId'), req.body, performance.now());
        res.status(answer.status).json(answer.body);
      }),
    )
    .all(methodNotAllowed);

  get([`${V1}/users/:userId`, '/users/:userId'], 'user query', async (req, res) => {
    const userId = param(req, 'userId');
    if (!userId.startsWith('@')) return sendError(res, 400, 'M_INVALID_PARAM', 'Not a user ID');
    if (await handlers.onUserQuery(userId)) res.status(200).json({});
    else sendError(res, 404, 'M_NOT_FOUND', 'No such user');
  });

  get([`${V1}/rooms/:alias`, '/rooms/:alias'], 'alias query', async (req, res) => {
    const alias = param(req, 'alias');
    if (!alias.startsWith('#')) return sendError(res, 400, 'M_INVALID_PARAM', 'Not a room alias');
    if (await handlers.onAliasQuery(alias)) res.status(200).json({});
    else sendError(res, 404, 'M_NOT_FOUND', 'No such room alias');
  });

  get(thirdParty('/protocol/:protocol'), 'thirdparty protocol', async (req, res) => {
    const protocol = await handlers.thirdPartyProtocol(param(req, 'protocol'));
    if (protocol) res.status(200).json(protocol);
    else sendError(res, 404, 'M_NOT_FOUND', 'Unknown protocol');
  });

  get(thirdParty('/location/:protocol'), 'thirdparty locations', async (req, res) => {
    answerList(res, await handlers.thirdPartyLocations(param(req, 'protocol'), lookupFields(req)));
  });

  get(thirdParty('/user/:protocol'), 'thirdparty users', async (req, res) => {
    answerList(res, await handlers.thirdPartyUsers(param(req, 'protocol'), lookupFields(req)));
  });

  get(thirdParty('/location'), 'thirdparty location by alias', async (req, res) => {
    const alias = req.query.alias;
    if (typeof alias !== 'string' || alias === '')
      return sendError(res, 400, 'M_MISSING_PARAM', 'alias is required');
    answerList(res, await handlers.thirdPartyLocationByAlias(alias));
  });

  get(thirdParty('/user'), 'thirdparty user by id', async (req, res) => {
    const userId = req.query.userid;
    if (typeof userId !== 'string' || userId === '')
      return sendError(res, 400, 'M_MISSING_PARAM', 'userid is required');
    answerList(res, await handlers.thirdPartyUserByUserId(userId));
  });

  router
    .route(`${V1}/ping`)
    .post(
      auth,
      body,
      guarded('ping', async (req, res) => {
        const json =
          Buffer.isBuffer(req.body) && req.body.length > 0 ? parseJsonBody(req.body) : {};
        if (json === NOT_JSON) return sendError(res, 400, 'M_NOT_JSON', 'Body is not valid JSON');
        if (!isObject(json)) return sendError(res, 400, 'M_BAD_JSON', 'Body is not an object');
        const { transaction_id } = json;
        if (transaction_id !== undefined && typeof transaction_id !== 'string') {
          return sendError(res, 400, 'M_BAD_JSON', 'transaction_id is not a string');
        }
        handlers.onPing?.(transaction_id);
        res.status(200).json({});
      }),
    )
    .all(methodNotAllowed);

  router.use(
    ['/_matrix/app', '/transactions', '/users', '/rooms', '/thirdparty'],
    unrecognizedPath,
  );
  router.use(errorAnswers(log));
  return router;
}

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  return value ?? '';
}

/** Every query parameter but the legacy token: the homeserver forwards the client's fields verbatim. */
function lookupFields(req: Request): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (key === 'access_token') continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') fields[key] = first;
  }
  return fields;
}

/** The spec answers an empty lookup with 404 ("No mappings were found"), not with `[]`. */
function answerList(res: Response, list: unknown[]): void {
  if (list.length === 0) return sendError(res, 404, 'M_NOT_FOUND', 'No mappings found');
  res.status(200).json(list);
}
