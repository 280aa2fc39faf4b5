import type { ConnectorContext } from '../contract.js';

export class ProviderHttpError extends Error {
  override name = 'ProviderHttpError';
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: string,
  ) {
    super(`provider answered ${status} for ${url}`);
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

/**
 * GET JSON with rate-limit handling: a 429 waits as the provider asks (ctx.sleep) and tries again,
 * up to `maxRetries` times; any other non-2xx throws ProviderHttpError.
 */
export async function getJson<T>(
  ctx: ConnectorContext,
  url: string,
  init: RequestInit = {},
  maxRetries = 5,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await ctx.fetch(url, { ...init, method: init.method ?? 'GET' });
    if (res.status === 429 && attempt < maxRetries) {
      const wait = retryAfterMs(res.headers, ctx.now());
      ctx.logger.warn({ url, wait, attempt }, 'provider rate limit: waiting');
      await res.arrayBuffer().catch(() => undefined);
      await ctx.sleep(wait);
      continue;
    }
    const text = await res.text();
    if (!res.ok) throw new ProviderHttpError(res.status, url, text.slice(0, 500));
    return JSON.parse(text) as T;
  }
}
