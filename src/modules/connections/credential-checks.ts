/**
 * Are a connection's credentials good? Each provider is asked the cheapest question its API offers
 * with exactly the credentials the connection holds, through its official SDK where one exists:
 * - Twilio: fetch the account (`GET /2010-04-01/Accounts/{sid}.json`) with the auth token that
 *   verifies the webhooks (and with the API key, when one is given for the REST API); a suspended or
 *   closed account is reported as such.
 * - RingCentral: the SDK's JWT login (client id + secret + JWT credential).
 * - Vonage: fetch the Voice application (`GET /v2/applications/{id}`, key + secret), and compare its
 *   public key with the connection's private key when one is given (backfill signs with it).
 * - Aircall: `GET /v1/company` with basic auth (API ID + token).
 * A check that fails throws; the caller reads the failure with providerFailure().
 * The webhook secrets that only the provider's deliveries can prove (Twilio signs with the auth token
 * checked above; RingCentral's verification token, Vonage's signature secret, Aircall's webhook
 * token) are checked on each delivery: a wrong one shows as 401s on the webhook, not here.
 */
import { createPublicKey } from 'node:crypto';
import twilio from 'twilio';

import type { ConnectorContext, ProviderId } from '../../../connectors/index.js';
import { basicAuth } from '../../../connectors/aircall/client.js';
import { AIRCALL_API_HOSTS, AIRCALL_DEFAULT_BASE_URL, type AircallCredentials } from '../../../connectors/aircall/credentials.js';
import { providerBase } from '../../../connectors/shared/hosts.js';
import { openPlatform } from '../../../connectors/ringcentral/client.js';
import type { RingCentralCredentials } from '../../../connectors/ringcentral/credentials.js';
import { getJson, ProviderHttpError } from '../../../connectors/shared/http.js';
import type { TwilioCredentials } from '../../../connectors/twilio/credentials.js';
import { apiHostOf, type VonageCredentials } from '../../../connectors/vonage/credentials.js';
import { withTimeout } from './provider-errors.js';

export interface CredentialCheckResult {
  /** Set when the credentials work but the account itself is not usable (Twilio: suspended). */
  health?: 'disabled';
  detail: Record<string, unknown>;
}

type CredentialCheck = (creds: never, ctx: ConnectorContext, timeoutMs: number) => Promise<CredentialCheckResult>;

async function twilioCheck(creds: TwilioCredentials, _ctx: ConnectorContext, timeoutMs: number): Promise<CredentialCheckResult> {
  const httpClient = new twilio.RequestClient({ keepAlive: false, timeout: timeoutMs });
  const fetchAccount = (client: ReturnType<typeof twilio>) => client.api.v2010.accounts(creds.accountSid).fetch();
  const account = await fetchAccount(twilio(creds.accountSid, creds.authToken, { httpClient }));
  if (creds.apiKeySid && creds.apiKeySecret) {
    await fetchAccount(twilio(creds.apiKeySid, creds.apiKeySecret, { accountSid: creds.accountSid, httpClient }));
  }
  const detail = { account: account.friendlyName ?? null, accountStatus: account.status };
  if (account.status !== 'active') {
    return { health: 'disabled', detail: { ...detail, message: `the Twilio account is ${account.status}` } };
  }
  return { detail };
}

async function ringcentralCheck(creds: RingCentralCredentials, ctx: ConnectorContext): Promise<CredentialCheckResult> {
  // No waiting out rate limits here: a check answers now, a 429 reads as "unreachable, try later".
  const platform = await openPlatform(creds, { ...ctx, sleep: async () => Promise.reject(Object.assign(new Error('rate-limited by RingCentral'), { status: 429 })) });
  const token = (await platform.auth().data()) as { owner_id?: string; scope?: string };
  return { detail: { ownerId: token.owner_id ?? null, scope: token.scope ?? null } };
}

/** Comparable form of a PEM key (its DER bytes). */
function publicKeyDer(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
}

async function vonageCheck(creds: VonageCredentials): Promise<CredentialCheckResult> {
  // Loaded on first use (tens of MB an API process otherwise carries for nothing).
  const { Vonage } = await import('@vonage/server-sdk');
  const vonage = new Vonage({ apiKey: creds.apiKey, apiSecret: creds.apiSecret }, { apiHost: apiHostOf(creds) });
  let application: Awaited<ReturnType<typeof vonage.applications.getApplication>>;
  try {
    application = await vonage.applications.getApplication(creds.applicationId);
  } catch (err) {
    // The SDK's error keeps the Response unread: the provider's answer is in its body.
    // (Its fetch's Response class, not necessarily the global one: read it by shape.)
    const res = (err as { response?: Partial<Response> }).response;
    if (res && typeof res.status === 'number' && typeof res.text === 'function') {
      throw new ProviderHttpError(res.status, res.url ?? '', (await res.text().catch(() => '')).slice(0, 500));
    }
    throw err;
  }
  const detail: Record<string, unknown> = { application: application.name ?? null };
  if (creds.privateKey) {
    const registered = application.keys?.publicKey;
    let matches: boolean | null = null;
    try {
      matches = registered ? publicKeyDer(registered) === publicKeyDer(creds.privateKey) : null;
    } catch {
      matches = false;
    }
    if (matches === false) {
      // The provider answered: this private key cannot sign for the application.
      throw new ProviderHttpError(401, 'privateKey', `the privateKey does not belong to application ${creds.applicationId}`);
    }
    detail.privateKey = matches ? 'matches the application' : 'not checked (the application has no public key)';
  }
  return { detail };
}

async function aircallCheck(creds: AircallCredentials, ctx: ConnectorContext): Promise<CredentialCheckResult> {
  // The account's secret goes to Aircall's own hosts only (or one the operator allowed).
  const url = new URL('/v1/company', providerBase(creds.baseUrl ?? AIRCALL_DEFAULT_BASE_URL, AIRCALL_API_HOSTS, ctx)).toString();
  const body = await getJson<{ company?: { name?: string } }>(ctx, 'aircall', url, { headers: { authorization: basicAuth(creds) } });
  return { detail: { company: body.company?.name ?? null } };
}

export const credentialChecks = {
  twilio: twilioCheck,
  ringcentral: ringcentralCheck,
  vonage: vonageCheck,
  aircall: aircallCheck,
} satisfies Record<ProviderId, CredentialCheck>;

/** Ask the provider, giving up after `timeoutMs` (requests through ctx.fetch are aborted then). */
export function checkCredentials(provider: ProviderId, creds: unknown, ctx: ConnectorContext, timeoutMs: number): Promise<CredentialCheckResult> {
  const check = credentialChecks[provider] as (c: unknown, ctx: ConnectorContext, t: number) => Promise<CredentialCheckResult>;
  return withTimeout(timeoutMs, (signal) =>
    check(creds, { ...ctx, fetch: (input, init) => ctx.fetch(input, { ...init, signal }) }, timeoutMs),
  );
}

/** Aircall puts its webhook token in each delivery; until the connection has it, the connector
 *  refuses every delivery (contract section 2), and the health says so. */
export function missingWebhookSecret(provider: ProviderId, creds: unknown): string | null {
  if (provider === 'aircall' && !(creds as Partial<AircallCredentials>).webhookToken) return 'webhookToken';
  return null;
}
