/**
 * A connection's health, always from an answer (the provider's, or the credentials' own shape),
 * never a guess:
 * - unverified: created without `?verify=true`, not checked yet
 * - healthy: the provider accepted the credentials (and its webhooks, where we can ask, are active)
 * - invalid_credentials: the provider refused them (its answer is in healthDetail.providerAnswer)
 * - unreachable: the provider did not answer (network, timeout, 429, 5xx): checked again later
 * - expiring / blacklisted / disabled: what the provider says of its webhooks (or of the account)
 * - webhook_token_missing: an Aircall connection without its webhook token: deliveries are refused
 *   with 401 until it is set with PATCH /v1/connections/{id}
 */
import { connectorFor, type ConnectorContext, type ProviderId } from '../../../connectors/index.js';
import { checkCredentials, missingWebhookSecret } from './credential-checks.js';
import { providerFailure, withTimeout } from './provider-errors.js';

export const connectionHealths = [
  'unverified',
  'healthy',
  'invalid_credentials',
  'unreachable',
  'expiring',
  'blacklisted',
  'disabled',
  'webhook_token_missing',
] as const;
export type Health = (typeof connectionHealths)[number];

export interface HealthVerdict {
  health: Health;
  detail: Record<string, unknown>;
}

/** How long one check may wait for the provider. */
export const CHECK_TIMEOUT_MS = 10_000;

/** The health of credentials nobody has checked yet. */
export function uncheckedHealth(provider: ProviderId, creds: unknown): HealthVerdict {
  const missing = missingWebhookSecret(provider, creds);
  if (missing) return tokenMissing(missing, {});
  return { health: 'unverified', detail: { message: 'not checked yet: POST /v1/connections/{id}/check, or wait for the scheduled check' } };
}

function tokenMissing(field: string, detail: Record<string, unknown>): HealthVerdict {
  return {
    health: 'webhook_token_missing',
    detail: {
      ...detail,
      message: `${field} is not set: every webhook to this connection is refused with 401 until it is added with PATCH /v1/connections/{id}`,
    },
  };
}

function failed(err: unknown, provider: ProviderId, extra: Record<string, unknown> = {}): HealthVerdict {
  const f = providerFailure(err, provider);
  // Only an answer from the provider refusing us says the credentials are wrong.
  if (f.permanent && f.status !== null) {
    return { health: 'invalid_credentials', detail: { ...extra, message: f.reason, providerStatus: f.status, providerAnswer: f.answer } };
  }
  return { health: 'unreachable', detail: { ...extra, message: f.reason } };
}

/**
 * Ask the provider about these credentials and, for an existing connection, about its webhooks
 * (`maintain`: renews what expires). `state` is what deliveries taught the hub plus `webhookUrl`.
 */
export async function assessHealth(
  provider: ProviderId,
  creds: unknown,
  ctx: ConnectorContext,
  state: Record<string, string> | null,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<HealthVerdict> {
  let credentials: Record<string, unknown>;
  try {
    const result = await checkCredentials(provider, creds, ctx, timeoutMs);
    if (result.health === 'disabled') return { health: 'disabled', detail: result.detail };
    credentials = result.detail;
  } catch (err) {
    return failed(err, provider);
  }
  const missing = missingWebhookSecret(provider, creds);
  if (missing) return tokenMissing(missing, { credentials: 'accepted by the provider', ...credentials });
  const connector = connectorFor(provider);
  if (!state || !connector.maintain) return { health: 'healthy', detail: credentials };
  try {
    const m = await withTimeout(timeoutMs, () => connector.maintain!(creds as never, state, ctx));
    return { health: m.health, detail: { ...credentials, ...(m.detail ?? {}) } };
  } catch (err) {
    return failed(err, provider, credentials);
  }
}
