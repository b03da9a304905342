/** The Matrix error body every appservice route answers with. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

export function sendError(res: Response, status: number, errcode: string, error: string): void {
  res.status(status).json({ errcode, error });
}

export const unrecognizedPath: RequestHandler = (_req, res) =>
  sendError(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');

export const methodNotAllowed: RequestHandler = (_req, res) =>
  sendError(res, 405, 'M_UNRECOGNIZED', 'Method not allowed on this endpoint');

/** Errors from body reading and URL decoding; anything else is ours and reveals nothing. */
export function errorAnswers(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const status =
      typeof (err as { status?: unknown }).status === 'number'
        ? (err as { status: number }).status
        : 500;
    if (status === 413) return sendError(res, 413, 'M_TOO_LARGE', 'Request body too large');
    if (status >= 400 && status < 500) {
      log.debug({ path: req.path, status }, 'bad request');
      return sendError(res, status, 'M_UNKNOWN', 'Bad request');
    }
    log.error({ err, path: req.path }, 'appservice request failed');
    return sendError(res, 500, 'M_UNKNOWN', 'Internal server error');
  };
}
