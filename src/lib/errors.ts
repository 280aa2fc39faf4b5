/**
 * One error type for everything the API answers on purpose. The HTTP error handler maps an AppError
 * to `{ error: { code, message, details? } }` with its status; anything else is a bug (500) or an
 * unreachable dependency (503), and its raw message never reaches the client.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown, code = 'bad_request') {
    super(400, code, message, details);
  }
}

export class ValidationError extends AppError {
  constructor(details: { path: string; message: string }[], message = 'The request is not valid.') {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials.', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, 'conflict', message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    const readable = limit >= 1024 * 1024 ? `${+(limit / 1024 / 1024).toFixed(2)} MB` : limit >= 1024 ? `${+(limit / 1024).toFixed(2)} KB` : `${limit} bytes`;
    super(413, 'payload_too_large', `The body is larger than the limit of ${readable} (${limit} bytes).`);
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  // Transient conflicts between concurrent transactions: the same request succeeds when retried.
  '40P01', // deadlock_detected
  '40001', // serialization_failure
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** True when the error says a dependency (database, Redis) cannot be reached. */
export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const msg = (e as { message?: unknown }).message;
    if (
      typeof msg === 'string' &&
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|PGlite is closed/i.test(
        msg,
      )
    )
      return true;
    if (e instanceof AggregateError && e.errors.some(isUnavailable)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
