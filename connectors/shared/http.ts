import type { ConnectorContext } from '../contract.js';

/** A provider's non-2xx answer, whatever client made the request. `status` tells a job whether
 *  trying again can help (429, 408, 5xx) or not (any other 4xx). */
export class ProviderHttpError extends Error {
  override name = 'ProviderHttpError';
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: string,
    readonly headers: Headers = new Headers(),
  ) {
    super(`provider answered ${status} for ${url}${providerMessage(body)}`);
  }
}

/**
 * The provider's own words from a JSON error body (`message`, `error_description`, `error`), so
 * that a failed job says why; never more than a short line of it.
 */
function providerMessage(body: string): string {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const said = [json.message, json.error_description, json.errorCode, json.error, json.title].find((v) => typeof v === 'string' && v.length > 0);
    return typeof said === 'string' ? `: ${said.slice(0, 200)}` : '';
  } catch {
    // Not JSON: an SDK's own error message is one short line; a page of HTML is not worth quoting.
    const line = body.trim().split('\n')[0] ?? '';
    return line && !line.startsWith('<') ? `: ${line.slice(0, 200)}` : '';
  }
}

/** Seconds to wait as the provider asks: Retry-After (seconds or HTTP date), or a reset header. */
export function retryAfterMs(headers: Headers, now: Date, fallbackMs = 1000): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now.getTime());
  }
  // Aircall: X-AircallApi-Reset (unix seconds); RingCentral: X-Rate-Limit-Window (seconds).
  const reset = headers.get('x-aircallapi-reset');
  if (reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - now.getTime());
  const window = headers.get('x-rate-limit-window');
  if (window && Number.isFinite(Number(window))) return Number(window) * 1000;
  return fallbackMs;
}

/** The HTTP answer behind an error thrown by a provider's SDK (each SDK wraps it its own way). */
export interface HttpFailure {
  status: number;
  headers: Headers;
  url?: string;
}

export interface RateLimitOptions {
  provider: string;
  /** The request, for logs and errors ("GET /v1/calls"). */
  what: string;
  /** Reads the SDK's error; null when the error is not an HTTP answer (it is thrown as is). */
  failureOf?: (error: unknown) => HttpFailure | null;
  /** Wait when the answer names none; a function of the attempt for an exponential backoff. */
  fallbackMs?: number | ((attempt: number) => number);
  maxRetries?: number;
}

function providerHttpFailure(error: unknown): HttpFailure | null {
  return error instanceof ProviderHttpError ? { status: error.status, headers: error.headers, url: error.url } : null;
}

/**
 * Runs one provider request. A 429 waits as the provider asks (through ctx.sleep, so tests run
 * fast) and tries again, up to `maxRetries` times; any other HTTP failure becomes a
 * ProviderHttpError, so a job reads every provider's failures the same way. SDK retries stay off:
 * they sleep on real timers and do not say so.
 */
export async function withRateLimit<T>(ctx: ConnectorContext, opts: RateLimitOptions, request: () => Promise<T>): Promise<T> {
  const maxRetries = opts.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const failure = (opts.failureOf ?? providerHttpFailure)(error);
      if (!failure) throw error;
      if (failure.status === 429 && attempt < maxRetries) {
        const fallback = typeof opts.fallbackMs === 'function' ? opts.fallbackMs(attempt) : (opts.fallbackMs ?? 1000);
        const wait = retryAfterMs(failure.headers, ctx.now(), fallback);
        ctx.logger.warn({ provider: opts.provider, what: opts.what, wait, attempt }, 'provider rate limit: waiting');
        await ctx.sleep(wait);
        continue;
      }
      if (error instanceof ProviderHttpError) throw error;
      const message = error instanceof Error ? error.message : '';
      throw new ProviderHttpError(failure.status, failure.url || opts.what, message.slice(0, 500), failure.headers);
    }
  }
}

/** GET JSON through ctx.fetch, rate limits handled by `withRateLimit`. */
export async function getJson<T>(ctx: ConnectorContext, provider: string, url: string, init: RequestInit = {}): Promise<T> {
  return withRateLimit(ctx, { provider, what: `GET ${url}` }, async () => {
    const res = await ctx.fetch(url, { ...init, method: init.method ?? 'GET' });
    const text = await res.text();
    if (!res.ok) throw new ProviderHttpError(res.status, url, text.slice(0, 500), res.headers);
    return JSON.parse(text) as T;
  });
}
