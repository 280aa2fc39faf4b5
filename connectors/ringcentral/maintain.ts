/**
 * RingCentral drops webhooks in two ways: a subscription expires (renew it before), and a
 * subscription whose endpoint keeps failing is `Blacklisted` (or `Suspended`) and must be re-created
 * (https://developers.ringcentral.com/guide/notifications/webhooks/lifecycle).
 */
import { z } from 'zod';
import type { ConnectorContext, MaintenanceResult } from '../contract.js';
import { iso } from '../shared/events.js';
import { getJson, openPlatform, postJson } from './client.js';
import type { RingCentralCredentials } from './credentials.js';
import { instant } from './events.js';

const subscriptionStatuses = ['Active', 'Suspended', 'Blacklisted'] as const;

const subscriptionSchema = z.object({
  id: z.string(),
  status: z.enum(subscriptionStatuses),
  expirationTime: instant.optional(),
});

export interface SubscriptionState {
  status: (typeof subscriptionStatuses)[number];
  /** ISO 8601 UTC; null when RingCentral did not say. */
  expiresAt: string | null;
}

function subscriptionState(json: unknown): SubscriptionState {
  const sub = subscriptionSchema.parse(json);
  return { status: sub.status, expiresAt: sub.expirationTime ? iso(Date.parse(sub.expirationTime)) : null };
}

const subscriptionPath = (id: string) => `/restapi/v1.0/subscription/${encodeURIComponent(id)}`;

/** `POST /restapi/v1.0/subscription/{id}/renew`: pushes the expiration time forward. */
export async function renewSubscription(
  creds: RingCentralCredentials,
  subscriptionId: string,
  ctx: ConnectorContext,
): Promise<SubscriptionState> {
  const platform = await openPlatform(creds, ctx);
  return subscriptionState(await postJson(platform, ctx, `${subscriptionPath(subscriptionId)}/renew`));
}

/** `GET /restapi/v1.0/subscription/{id}`: a `Suspended`/`Blacklisted` one must be re-created. */
export async function getSubscription(
  creds: RingCentralCredentials,
  subscriptionId: string,
  ctx: ConnectorContext,
): Promise<SubscriptionState> {
  const platform = await openPlatform(creds, ctx);
  return subscriptionState((await getJson(platform, ctx, subscriptionPath(subscriptionId))).json);
}

/** Renew when less than this is left. */
const RENEW_WITHIN_MS = 3 * 24 * 3600_000;

export async function maintain(
  creds: RingCentralCredentials,
  state: Record<string, string>,
  ctx: ConnectorContext,
): Promise<MaintenanceResult> {
  const subscriptionId = state.subscriptionId;
  if (!subscriptionId) return { health: 'healthy', detail: { subscription: 'not seen yet: no notification received' } };
  let sub = await getSubscription(creds, subscriptionId, ctx);
  if (sub.status === 'Blacklisted') return { health: 'blacklisted', detail: { subscriptionId, status: sub.status, action: 're-create the subscription' } };
  if (sub.status === 'Suspended') return { health: 'disabled', detail: { subscriptionId, status: sub.status, action: 're-create the subscription' } };
  const left = sub.expiresAt ? Date.parse(sub.expiresAt) - ctx.now().getTime() : Infinity;
  if (left < RENEW_WITHIN_MS) {
    try {
      sub = await renewSubscription(creds, subscriptionId, ctx);
    } catch (err) {
      return { health: 'expiring', detail: { subscriptionId, expiresAt: sub.expiresAt, renewError: (err as Error).message } };
    }
  }
  const stillLeft = sub.expiresAt ? Date.parse(sub.expiresAt) - ctx.now().getTime() : Infinity;
  return {
    health: stillLeft < RENEW_WITHIN_MS ? 'expiring' : 'healthy',
    detail: { subscriptionId, status: sub.status, expiresAt: sub.expiresAt },
  };
}
