/**
 * Aircall disables a webhook after repeated delivery failures (its `active` flag turns false) and
 * does not tell anyone: list the account's webhooks and report ours.
 * https://developer.aircall.io/api-references/#webhooks
 */
import { z } from 'zod';
import type { ConnectorContext, MaintenanceResult } from '../contract.js';
import { getJson } from '../shared/http.js';
import { basicAuth } from './client.js';
import { AIRCALL_DEFAULT_BASE_URL, type AircallCredentials } from './credentials.js';

const webhooksPage = z.object({
  webhooks: z.array(z.object({ webhook_id: z.union([z.string(), z.number()]).optional(), url: z.string(), active: z.boolean() })),
  meta: z.object({ next_page_link: z.string().nullable().optional() }).optional(),
});

export async function maintain(
  creds: AircallCredentials,
  state: Record<string, string>,
  ctx: ConnectorContext,
): Promise<MaintenanceResult> {
  const headers = { authorization: basicAuth(creds) };
  let url: string | null = new URL('/v1/webhooks?per_page=50', creds.baseUrl ?? AIRCALL_DEFAULT_BASE_URL).toString();
  for (let pages = 0; url && pages < 20; pages++) {
    const page = webhooksPage.parse(await getJson(ctx, 'aircall', url, { headers }));
    const ours = page.webhooks.find((w) => w.url === state.webhookUrl);
    if (ours) {
      return ours.active
        ? { health: 'healthy', detail: { webhookId: ours.webhook_id ?? null } }
        : { health: 'disabled', detail: { webhookId: ours.webhook_id ?? null, action: 're-enable the webhook in Aircall' } };
    }
    url = page.meta?.next_page_link ?? null;
  }
  return { health: 'disabled', detail: { action: `no Aircall webhook points at ${state.webhookUrl ?? 'this connection'}` } };
}
