/**
 * Whether a provider's answer makes retrying pointless. A 4xx says the request itself is wrong
 * (bad credentials, a deleted account, a malformed window): five more tries give five more 4xx.
 * 408 (timeout) and 429 (rate limit) are about timing and are retried; so is everything else
 * (5xx, network errors, our own database).
 */
import { ProviderHttpError } from '../../connectors/shared/http.js';

/** The HTTP status carried by a provider error: ours (ProviderHttpError), or the SDKs' (Twilio's `status`, Vonage's `response.status`). */
export function providerStatusOf(err: unknown): number | null {
  if (err instanceof ProviderHttpError) return err.status;
  if (typeof err !== 'object' || err === null) return null;
  const direct = (err as { status?: unknown }).status;
  if (typeof direct === 'number') return direct;
  const response = (err as { response?: { status?: unknown } }).response;
  if (response && typeof response.status === 'number') return response.status;
  return null;
}

export function isPermanentProviderError(err: unknown): boolean {
  const status = providerStatusOf(err);
  return status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
