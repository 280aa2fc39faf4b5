/**
 * What a provider's failure means for us, whichever client produced it (our fetch helper, the
 * twilio SDK, @ringcentral/sdk, @vonage/server-sdk): permanent (the provider refused: wrong
 * credentials, missing permission, unknown account) or transient (it did not answer, or asked us to
 * come back: 408, 429, 5xx, timeouts, network errors). Permanent failures are not retried.
 */
import { ZodError } from 'zod';

export interface ProviderFailure {
  permanent: boolean;
  /** The provider's HTTP status, when it answered. */
  status: number | null;
  /** In words, for the user: what happened and, when it answered, what the provider said. */
  reason: string;
  /** The provider's own answer (its error message or body), when it gave one. */
  answer: string | null;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const STATUS_WORDS: Record<number, string> = {
  400: 'rejected the request',
  401: 'refused the credentials',
  403: 'refused access with these credentials',
  404: 'does not know this account or application',
  408: 'timed out',
  429: 'is rate-limiting us',
};

export class ProviderTimeoutError extends Error {
  override name = 'ProviderTimeoutError';
  constructor(readonly ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s`);
  }
}

type Loose = { status?: unknown; statusCode?: unknown; code?: unknown; body?: unknown; response?: unknown; cause?: unknown; moreInfo?: unknown };

function statusOf(err: Loose): number | null {
  for (const v of [err.status, err.statusCode, (err.response as Loose | undefined)?.status]) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 100 && n < 600) return n;
  }
  return null;
}

function networkCode(err: unknown): string | null {
  for (let e = err as Loose | undefined, depth = 0; e && depth < 5; e = e.cause as Loose | undefined, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  }
  return null;
}

/** The provider's answer: an SDK error message, or the body our fetch helper kept. */
function answerOf(err: Error & Loose): string | null {
  const body = typeof err.body === 'string' && err.body.trim() ? err.body.trim() : null;
  const generic = /^(provider answered \d+|Request failed with status code \d+)/.test(err.message);
  const text = body ?? (generic ? null : err.message.trim() || null);
  return text ? text.slice(0, 500) : null;
}

export function providerFailure(err: unknown, provider: string): ProviderFailure {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & Loose;
  if (e instanceof ProviderTimeoutError || e.name === 'TimeoutError' || e.name === 'AbortError') {
    return { permanent: false, status: null, reason: `${provider} did not answer in time (${e.message})`, answer: null };
  }
  const status = statusOf(e);
  if (status !== null) {
    const answer = answerOf(e);
    const transient = status === 408 || status === 429 || status >= 500;
    const words = STATUS_WORDS[status] ?? (status >= 500 ? 'failed on its side' : 'refused the request');
    return {
      permanent: !transient,
      status,
      reason: `${provider} ${words} (HTTP ${status})${answer ? `: ${answer}` : ''}`,
      answer,
    };
  }
  const code = networkCode(e);
  if (code) return { permanent: false, status: null, reason: `cannot reach ${provider} (${code})`, answer: null };
  if (e instanceof ZodError) {
    return { permanent: true, status: null, reason: `${provider} answered in a shape callroi does not read: ${e.issues[0]?.message ?? 'invalid'}`, answer: null };
  }
  // Anything else (our database, an unexpected exception) may pass: try again.
  return { permanent: false, status: null, reason: e.message.split('\n')[0]!.slice(0, 500), answer: null };
}

export async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ProviderTimeoutError(ms));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
