/**
 * Automation endpoints: the numbers and queues a tenant says automation answers (an IVR, a bot whose
 * provider does not report it). Adding or removing one recomputes the tenant's inbound calls on it
 * from their events, so every call listener (KPI rollups, ROI, webhooks) hears the new status.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { toE164 } from '../../../connectors/shared/phone.js';
import type { ProviderId, UnifiedCallDraft } from '../../../connectors/index.js';
import { queryRows, type Database, type Tx } from '../../db/client.js';
import { automationEndpoints, type AutomationEndpointRow, type TenantRow } from '../../db/schema/index.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { recomputeCall, type CallChangeListener } from '../calls/index.js';
import type { CreateEndpointBody } from './automation.schemas.js';

export function endpointView(e: AutomationEndpointRow) {
  return { id: e.id, number: e.number, queue: e.queue, createdAt: e.createdAt.toISOString() };
}

const labelOf = (e: Pick<AutomationEndpointRow, 'number' | 'queue'>) => [e.number, e.queue].filter((x) => x !== null).join(' / ');

/** The endpoint an inbound call came in on: its number and queue both match what the endpoint names. */
export function endpointOf(
  endpoints: readonly Pick<AutomationEndpointRow, 'id' | 'number' | 'queue'>[],
  call: { trackingNumber: string | null; queue: { id: string | null; name: string | null } | null },
): { id: string; label: string } | null {
  const match = endpoints.find(
    (e) =>
      (e.number === null || e.number === call.trackingNumber) &&
      (e.queue === null || (call.queue !== null && (e.queue === call.queue.id || e.queue === call.queue.name))),
  );
  return match ? { id: match.id, label: labelOf(match) } : null;
}

/** The call listener: hands recompute the endpoint an inbound call came in on. */
export const automationListener: CallChangeListener = {
  enrich: async (tx, tenant, draft: UnifiedCallDraft) => {
    if (draft.direction !== 'inbound') return {};
    const endpoints = await tx
      .select({ id: automationEndpoints.id, number: automationEndpoints.number, queue: automationEndpoints.queue })
      .from(automationEndpoints)
      .where(eq(automationEndpoints.tenantId, tenant.id))
      .orderBy(asc(automationEndpoints.createdAt), asc(automationEndpoints.id));
    return { automationEndpoint: endpointOf(endpoints, draft) };
  },
  // A batch: the tenant's endpoints read once.
  enrichMany: async (tx, tenant, items) => {
    if (!items.some(({ draft }) => draft.direction === 'inbound')) return items.map(() => ({}));
    const endpoints = await tx
      .select({ id: automationEndpoints.id, number: automationEndpoints.number, queue: automationEndpoints.queue })
      .from(automationEndpoints)
      .where(eq(automationEndpoints.tenantId, tenant.id))
      .orderBy(asc(automationEndpoints.createdAt), asc(automationEndpoints.id));
    return items.map(({ draft }) => (draft.direction === 'inbound' ? { automationEndpoint: endpointOf(endpoints, draft) } : {}));
  },
};

export class AutomationService {
  constructor(
    private readonly db: Database,
    private readonly listeners: readonly CallChangeListener[],
  ) {}

  async create(tenant: TenantRow, body: CreateEndpointBody) {
    let number: string | null = null;
    if (body.number !== undefined) {
      number = toE164(body.number, { defaultCountry: tenant.country ?? undefined });
      if (!number) throw new ValidationError([{ path: 'body.number', message: `"${body.number}" is not a valid phone number` }]);
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(automationEndpoints)
        .values({ id: randomUUID(), tenantId: tenant.id, number, queue: body.queue ?? null })
        .returning();
      await this.recomputeCallsOn(tx, tenant, row!);
      return endpointView(row!);
    });
  }

  async list(tenant: TenantRow) {
    const rows = await this.db
      .select()
      .from(automationEndpoints)
      .where(eq(automationEndpoints.tenantId, tenant.id))
      .orderBy(asc(automationEndpoints.createdAt), asc(automationEndpoints.id));
    return rows.map(endpointView);
  }

  async remove(tenant: TenantRow, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(automationEndpoints)
        .where(and(eq(automationEndpoints.tenantId, tenant.id), eq(automationEndpoints.id, id)))
        .returning();
      if (!row) throw new NotFoundError('Automation endpoint');
      await this.recomputeCallsOn(tx, tenant, row);
    });
  }

  /** Recompute the inbound calls the endpoint names (before or after the change, the same set). */
  private async recomputeCallsOn(tx: Tx, tenant: TenantRow, e: AutomationEndpointRow): Promise<void> {
    const rows = await queryRows<{ connection_id: string; provider: ProviderId; call_key: string }>(
      tx,
      sql`select connection_id, provider, call_key from calls
          where tenant_id = ${tenant.id} and direction = 'inbound'
            and (${e.number}::text is null or tracking_number = ${e.number})
            and (${e.queue}::text is null or queue_id = ${e.queue} or queue_name = ${e.queue})
          order by started_at, id`,
    );
    for (const r of rows) await recomputeCall(tx, tenant, { id: r.connection_id, provider: r.provider }, r.call_key, [...this.listeners]);
  }
}
