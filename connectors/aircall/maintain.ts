/**
 * Aircall disables a webhook after repeated delivery failures (its `active` flag turns false) and
 * does not tell anyone: list the account's webhooks and report ours.
 * https://developer.aircall.io/api-references/#webhooks
 */
import { z } from 'zod';
import type { ConnectorContext, MaintenanceResult } from '../contract.js';
import { providerBase, sameHost } from '../shared/hosts.js';
import { getJson } from '../shared/http.js';
import { basicAuth } from './client.js';
import { AIRCALL_API_HOSTS, AIRCALL_DEFAULT_BASE_URL, type AircallCredentials } from './credentials.js';

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
  const base = providerBase(creds.baseUrl ?? AIRCALL_DEFAULT_BASE_URL, AIRCALL_API_HOSTS, ctx);
  let url: string | null = new URL('/v1/webhooks?per_page=50', base).toString();
  for (let pages = 0; url && pages < 20; pages++) {
    const page = webhooksPage.parse(await getJson(ctx, 'aircall', url, { headers }));
    const ours = page.webhooks.find((w) => w.url === state.webhookUrl);
    if (ours) {
      return ours.active
        ? { health: 'healthy', detail: { webhookId: ours.webhook_id ?? null } }
        : { health: 'disabled', detail: { webhookId: ours.webhook_id ?? null, action: 're-enable the webhook in Aircall' } };
    }
    // The link is followed with the Basic header: only on the configured API host.
    const next = page.meta?.next_page_link ?? null;
    url = next ? sameHost(next, base) : null;
    if (next && !url) ctx.logger.warn({ next: next.slice(0, 200) }, 'aircall: next_page_link leaves the API host; not followed');
  }
  return { health: 'disabled', detail: { action: `no Aircall webhook points at ${state.webhookUrl ?? 'this connection'}` } };
}
