/**
 * Costs (contract section 5): validated per row, stored as exact decimals. A cost posted,
 * replaced or deleted tells the ROI module the periods it had and has (`costPeriodsChanged`, in
 * the same transaction); its `roi-refresh` job rebuilds those days' allocation, and readers
 * compute still-marked days on the fly, so the change shows in the next GET /v1/roi and /v1/kpis.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, gte, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { fromExcluded } from '../../db/sql.js';
import type { JobQueue } from '../../jobs/queue.js';
import { campaigns, costs, type CostRow, type TenantRow } from '../../db/schema/index.js';
import { formatCents, parseAmount } from '../../domain/money.js';
import { NotFoundError } from '../../lib/errors.js';
import { prepareRows, RowError, tenantAmount, type BulkResult } from '../../http/bulk.js';
import { costPeriodsChanged, requestRoiRefresh } from '../roi/index.js';
import { costRow } from './costs.schemas.js';

export function costView(c: CostRow) {
  return {
    id: c.id,
    externalId: c.externalId,
    category: c.category,
    kind: c.kind,
    amount: formatCents(parseAmount(c.amount)),
    currency: c.currency,
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
    campaignId: c.campaignId,
    agentId: c.agentId,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export class CostsService {
  constructor(
    private readonly db: Database,
    private readonly queue: JobQueue,
  ) {}

  async upsert(tenant: TenantRow, rows: unknown[]): Promise<BulkResult> {
    const parsed = rows.map((row) => costRow.safeParse(row));
    // Campaign scopes must name one of this tenant's campaigns (another tenant's id is unknown).
    const named = [...new Set(parsed.flatMap((p) => (p.success && p.data.campaignId ? [p.data.campaignId] : [])))];
    const known = new Set(
      named.length === 0
        ? []
        : (await this.db.select({ id: campaigns.id }).from(campaigns).where(and(eq(campaigns.tenantId, tenant.id), inArray(campaigns.id, named), isNull(campaigns.deletedAt)))).map((c) => c.id),
    );
    const { valid, rejected } = prepareRows(rows, (row) => {
      const c = costRow.parse(row);
      const cents = tenantAmount(tenant, c.amount, c.currency);
      if (c.periodEnd < c.periodStart) throw new RowError('periodEnd: must not be before periodStart');
      if (c.campaignId && c.agentId) throw new RowError('a cost is scoped to one campaign or one agent, not both');
      if (c.campaignId && !known.has(c.campaignId)) throw new RowError(`campaignId: campaign ${c.campaignId} not found`);
      return {
        id: randomUUID(),
        tenantId: tenant.id,
        externalId: c.externalId ?? null,
        category: c.category,
        kind: c.kind,
        amount: formatCents(cents),
        currency: tenant.currency,
        periodStart: c.periodStart,
        periodEnd: c.periodEnd,
        campaignId: c.campaignId ?? null,
        agentId: c.agentId ?? null,
      };
    });
    const keyed = [...new Map(valid.filter((v) => v.value.externalId).map((v) => [v.value.externalId!, v.value])).values()];
    const plain = valid.filter((v) => !v.value.externalId).map((v) => v.value);
    if (valid.length === 0) return { upserted: 0, rejected };
    await this.db.transaction(async (tx) => {
      // The periods replaced rows had: their days lose those shares.
      const replacedPeriods =
        keyed.length === 0
          ? []
          : await tx
              .select({ periodStart: costs.periodStart, periodEnd: costs.periodEnd })
              .from(costs)
              .where(and(eq(costs.tenantId, tenant.id), inArray(costs.externalId, keyed.map((k) => k.externalId!))));
      await costPeriodsChanged(tx, tenant.id, [...replacedPeriods, ...valid.map((v) => v.value)]);
      for (let i = 0; i < plain.length; i += 1000) await tx.insert(costs).values(plain.slice(i, i + 1000));
      for (let i = 0; i < keyed.length; i += 1000) {
        // Rows with an externalId replace the stored cost of that id: re-posting an upload is a no-op.
        await tx
          .insert(costs)
          .values(keyed.slice(i, i + 1000))
          .onConflictDoUpdate({
            target: [costs.tenantId, costs.externalId],
            set: {
              ...fromExcluded({
                category: costs.category,
                kind: costs.kind,
                amount: costs.amount,
                periodStart: costs.periodStart,
                periodEnd: costs.periodEnd,
                campaignId: costs.campaignId,
                agentId: costs.agentId,
              }),
              updatedAt: sql`now()`,
            },
          });
      }
    });
    await requestRoiRefresh(this.queue, tenant.id);
    return { upserted: valid.length, rejected };
  }

  async list(tenant: TenantRow, q: { from?: string; to?: string; limit: number }) {
    const rows = await this.db
      .select()
      .from(costs)
      .where(and(eq(costs.tenantId, tenant.id), q.to ? lte(costs.periodStart, q.to) : undefined, q.from ? gte(costs.periodEnd, q.from) : undefined))
      .orderBy(asc(costs.periodStart), asc(costs.id))
      .limit(q.limit);
    return rows.map(costView);
  }

  async remove(tenant: TenantRow, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(costs)
        .where(and(eq(costs.tenantId, tenant.id), eq(costs.id, id)))
        .returning({ periodStart: costs.periodStart, periodEnd: costs.periodEnd });
      if (!row) throw new NotFoundError('Cost');
      await costPeriodsChanged(tx, tenant.id, [row]);
    });
    await requestRoiRefresh(this.queue, tenant.id);
  }
}
