/**
 * CRM contacts and deals (contract section 5). A deal's touches depend on its phones and its
 * contact's phones, so every upsert that changes either tells the ROI module which deals changed
 * (`dealsChanged`, in the same transaction); its `roi-refresh` job recomputes their credits only.
 */
import { and, eq, sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client.js';
import { crmContacts, crmDeals, type CrmContactRow, type CrmDealRow, type TenantRow } from '../../db/schema/index.js';
import { formatCents, parseAmount } from '../../domain/money.js';
import type { JobQueue } from '../../jobs/queue.js';
import { NotFoundError } from '../../lib/errors.js';
import { idList } from '../../db/sql.js';
import { lastPerKey, normalisePhones, prepareRows, RowError, tenantAmount, type BulkResult } from '../../http/bulk.js';
import { dealsChanged, requestRoiRefresh } from '../roi/index.js';
import { dealsOfContacts, upsertContacts, upsertDeals, type ContactInput, type DealInput } from './crm.repo.js';
import { contactRow, dealRow, leadRow } from './crm.schemas.js';
import { contactsChangedForLeads, deleteLead, getLead, leadView, listLeads, upsertLeads, type LeadInput } from './leads.js';
import { randomUUID } from 'node:crypto';

export function contactView(c: CrmContactRow) {
  return { id: c.id, externalId: c.externalId, phones: c.phones, name: c.name, email: c.email, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

export function dealView(d: CrmDealRow) {
  return {
    id: d.id,
    externalId: d.externalId,
    contactExternalId: d.contactExternalId,
    phones: d.phones,
    amount: formatCents(parseAmount(d.amount)),
    margin: d.margin === null ? null : formatCents(parseAmount(d.margin)),
    marginPercent: d.marginPercent === null ? null : Number(d.marginPercent),
    currency: d.currency,
    stage: d.stage,
    type: d.type,
    closedAt: d.closedAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export class CrmService {
  constructor(
    private readonly db: Database,
    private readonly queue: JobQueue,
  ) {}

  async upsertContacts(tenant: TenantRow, rows: unknown[]): Promise<BulkResult> {
    const { valid, rejected } = prepareRows(rows, (row): ContactInput => {
      const c = contactRow.parse(row);
      return { externalId: c.externalId, phones: normalisePhones(tenant, c.phones), name: c.name ?? null, email: c.email ?? null };
    });
    const { dirty, marked } = await this.db.transaction(async (tx) => {
      const changed = await upsertContacts(tx, tenant.id, lastPerKey(valid, (c) => c.externalId));
      const deals = await dealsOfContacts(tx, tenant.id, changed);
      await dealsChanged(tx, tenant.id, { dealIds: deals });
      return { dirty: deals.length, marked: await contactsChangedForLeads(tx, tenant, changed) };
    });
    if (dirty > 0) await requestRoiRefresh(this.queue, tenant.id);
    if (marked > 0) await this.wakeLeads(tenant.id);
    return { upserted: valid.length, rejected };
  }

  async upsertDeals(tenant: TenantRow, rows: unknown[]): Promise<BulkResult> {
    const { valid, rejected } = prepareRows(rows, (row): DealInput => {
      const d = dealRow.parse(row);
      const amountCents = tenantAmount(tenant, d.amount, d.currency);
      if (amountCents < 0n) throw new RowError('amount: a deal amount cannot be negative');
      if (d.margin != null && d.marginPercent != null) throw new RowError('margin: give margin or marginPercent, not both');
      const marginCents = d.margin == null ? null : tenantAmount(tenant, d.margin, d.currency);
      // Attribution looks back from closedAt: a won deal without it cannot be attributed.
      if (d.stage === 'won' && !d.closedAt) throw new RowError('closedAt: a won deal needs closedAt');
      return {
        externalId: d.externalId,
        contactExternalId: d.contactExternalId ?? null,
        phones: normalisePhones(tenant, d.phones),
        amountCents,
        marginCents,
        marginPercent: d.marginPercent ?? null,
        currency: tenant.currency,
        stage: d.stage,
        type: d.type ?? null,
        closedAt: d.closedAt ? new Date(d.closedAt) : null,
      };
    });
    const dirty = await this.db.transaction(async (tx) => {
      const rowsToWrite = lastPerKey(valid, (d) => d.externalId);
      // Won deals per close day are materialised (roi_day_revenue): a change marks the close days
      // the deal had and has. Read before the upsert, kept for the deals that changed.
      const before = await queryRows<{ id: string; closed_ms: string }>(
        tx,
        sql`select ${crmDeals.id} as id, (extract(epoch from ${crmDeals.closedAt}) * 1000)::bigint::text as closed_ms from ${crmDeals}
            where ${crmDeals.tenantId} = ${tenant.id} and ${crmDeals.stage} = 'won' and ${crmDeals.closedAt} is not null
              and ${crmDeals.externalId} in (${idList(rowsToWrite.map((r) => r.externalId))})`,
      );
      const changed = await upsertDeals(tx, tenant.id, rowsToWrite);
      const changedSet = new Set(changed);
      const closeInstants = [
        ...before.filter((b) => changedSet.has(b.id)).map((b) => new Date(Number(b.closed_ms))),
        ...rowsToWrite.filter((r) => r.stage === 'won' && r.closedAt).map((r) => r.closedAt!),
      ];
      if (changed.length > 0) await dealsChanged(tx, tenant.id, { dealIds: changed, closeInstants });
      return changed.length;
    });
    if (dirty > 0) await requestRoiRefresh(this.queue, tenant.id);
    return { upserted: valid.length, rejected };
  }

  async upsertLeads(tenant: TenantRow, rows: unknown[]): Promise<BulkResult> {
    const { valid, rejected } = prepareRows(rows, (row): LeadInput => {
      const l = leadRow.parse(row);
      const phones = normalisePhones(tenant, l.phones);
      // Nothing to match a call on: the row would mark no call, ever.
      if (phones.length === 0 && !l.contactExternalId) throw new RowError('phones: give phones or contactExternalId');
      return { externalId: l.externalId, contactExternalId: l.contactExternalId ?? null, phones, source: l.source, createdAt: new Date(l.createdAt) };
    });
    const marked = await this.db.transaction((tx) => upsertLeads(tx, tenant, lastPerKey(valid, (l) => l.externalId)));
    if (marked > 0) await this.wakeLeads(tenant.id);
    return { upserted: valid.length, rejected };
  }

  async listLeads(tenant: TenantRow, limit: number) {
    return (await listLeads(this.db, tenant.id, limit)).map(leadView);
  }

  async getLead(tenant: TenantRow, externalId: string) {
    const row = await getLead(this.db, tenant.id, externalId);
    if (!row) throw new NotFoundError('Lead');
    return leadView(row);
  }

  async deleteLead(tenant: TenantRow, externalId: string): Promise<void> {
    const found = await this.db.transaction((tx) => deleteLead(tx, tenant, externalId));
    if (!found) throw new NotFoundError('Lead');
    await this.wakeLeads(tenant.id);
  }

  /**
   * After commit: the tenant's `kpi-refresh` job drains the lead marks (and the sweep does, should
   * this enqueue be lost). Its own job id: a running job may have drained the marks already.
   */
  private async wakeLeads(tenantId: string): Promise<void> {
    await this.queue.enqueue('kpi-refresh', { tenantId }, { jobId: `kpi-refresh-${tenantId}-${randomUUID()}` });
  }

  async getContact(tenant: TenantRow, externalId: string) {
    const [row] = await this.db.select().from(crmContacts).where(and(eq(crmContacts.tenantId, tenant.id), eq(crmContacts.externalId, externalId)));
    if (!row) throw new NotFoundError('Contact');
    return contactView(row);
  }

  async getDeal(tenant: TenantRow, externalId: string) {
    const [row] = await this.db.select().from(crmDeals).where(and(eq(crmDeals.tenantId, tenant.id), eq(crmDeals.externalId, externalId)));
    if (!row) throw new NotFoundError('Deal');
    return dealView(row);
  }

  async deleteContact(tenant: TenantRow, externalId: string): Promise<void> {
    const { dirty, marked } = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(crmContacts)
        .where(and(eq(crmContacts.tenantId, tenant.id), eq(crmContacts.externalId, externalId)))
        .returning({ id: crmContacts.id });
      if (!row) throw new NotFoundError('Contact');
      const deals = await dealsOfContacts(tx, tenant.id, [externalId]);
      await dealsChanged(tx, tenant.id, { dealIds: deals });
      return { dirty: deals.length, marked: await contactsChangedForLeads(tx, tenant, [externalId]) };
    });
    if (dirty > 0) await requestRoiRefresh(this.queue, tenant.id);
    if (marked > 0) await this.wakeLeads(tenant.id);
  }

  async deleteDeal(tenant: TenantRow, externalId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ id: crmDeals.id, stage: crmDeals.stage, closedAt: crmDeals.closedAt })
        .from(crmDeals)
        .where(and(eq(crmDeals.tenantId, tenant.id), eq(crmDeals.externalId, externalId)))
        .for('update');
      if (!row) throw new NotFoundError('Deal');
      // Its credits go first, and the calls' attributedRevenue with them.
      await dealsChanged(tx, tenant.id, { dealIds: [row.id], closeInstants: row.stage === 'won' && row.closedAt ? [row.closedAt] : [], deleted: true });
      await tx.delete(crmDeals).where(eq(crmDeals.id, row.id));
    });
    await requestRoiRefresh(this.queue, tenant.id);
  }

  /** Deals of the tenant, newest first (a plain page for checks and the dashboard). */
  async listDeals(tenant: TenantRow, limit: number) {
    const rows = await this.db.select().from(crmDeals).where(eq(crmDeals.tenantId, tenant.id)).orderBy(sql`${crmDeals.updatedAt} desc, ${crmDeals.id}`).limit(limit);
    return rows.map(dealView);
  }
}
