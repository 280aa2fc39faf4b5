import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isUnavailable, PayloadTooLargeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}.` } });
  };
}

/**
 * The one mapper from errors to HTTP. Bad input (AppError, body-parser errors) keeps its status;
 * an unreachable database or Redis is a 503 so providers retry; anything else is a 500 whose
 * details stay in the log.
 */
export function errorHandler(logger: Logger, bodyLimit: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let appError: AppError;
    const e = err as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number };
    if (err instanceof AppError) appError = err;
    // The parser that refused the body knows its own limit (/v1 and /webhooks differ).
    else if (e?.type === 'entity.too.large') appError = new PayloadTooLargeError(typeof e.limit === 'number' ? e.limit : bodyLimit);
    else if (e?.type === 'entity.parse.failed') appError = new AppError(400, 'invalid_json', 'The body is not valid JSON.');
    // A body whose Content-Encoding does not decode (a corrupt gzip): zlib's error, without a type.
    else if (typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('Z_'))
      appError = new AppError(400, 'invalid_encoding', 'The body could not be decoded with its Content-Encoding.');
    else if (e?.type && typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      appError = new AppError(e.status, 'bad_request', e.message ?? 'Bad request.');
    else if (isUnavailable(err)) {
      logger.warn({ err: (err as Error).message, path: req.path }, 'dependency unavailable');
      appError = new AppError(503, 'service_unavailable', 'Storage is unavailable; try again shortly.');
      res.setHeader('Retry-After', '5');
    } else {
      logger.error({ err, path: req.path }, 'unhandled error');
      appError = new AppError(500, 'internal_error', 'Something went wrong on our side.');
    }
    if (res.headersSent) return;
    const body: { code: string; message: string; details?: unknown } = { code: appError.code, message: appError.message };
    if (appError.details !== undefined) body.details = appError.details;
    res.status(appError.status).json({ error: body });
  };
}
