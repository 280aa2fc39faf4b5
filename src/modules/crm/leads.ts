/**
 * CRM leads (POST /v1/crm/leads): stored on (tenant, externalId) with their match phones (their own
 * and their contact's). Which call a lead marks depends on other calls and leads, so it is never
 * written here: every change of a lead's match phones or createdAt leaves marks for the numbers
 * concerned (src/modules/leads markNumbers), and the tenant's `kpi-refresh` job rewrites the calls'
 * `crmLead` flags through the call listeners — the same deferred way as a late call's.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { crmContacts, crmLeads, type CrmLeadRow, type TenantRow } from '../../db/schema/index.js';
import { markNumbers } from '../leads/index.js';
import { effectiveSettings } from '../tenants/index.js';

const CHUNK = 1000;

export interface LeadInput {
  externalId: string;
  contactExternalId: string | null;
  phones: string[];
  source: string;
  createdAt: Date;
}

export function leadView(l: CrmLeadRow) {
  return {
    id: l.id,
    externalId: l.externalId,
    contactExternalId: l.contactExternalId,
    phones: l.phones,
    matchPhones: l.matchPhones,
    source: l.source,
    createdAt: l.leadCreatedAt.toISOString(),
    receivedAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

interface Before {
  matchPhones: string[];
  leadCreatedAt: Date;
}

/**
 * The marks for a lead that had `before` (or nothing) and has `after` (or nothing): every phone of
 * either, from the earlier window start. A lead marks calls from createdAt − lookback on.
 */
function marksOf(tenant: TenantRow, before: Before | null, after: Before | null): { number: string; from: Date }[] {
  const lookbackMs = effectiveSettings(tenant.settings).leadLookbackDays * 86_400_000;
  const starts = [before, after].filter((x): x is Before => x !== null).map((x) => x.leadCreatedAt.getTime() - lookbackMs);
  const from = new Date(Math.min(...starts));
  return union(before?.matchPhones ?? [], after?.matchPhones ?? []).map((number) => ({ number, from }));
}

/** Upsert leads; returns how many numbers were marked (0: nothing for the job). */
export async function upsertLeads(tx: Tx, tenant: TenantRow, rows: readonly LeadInput[]): Promise<number> {
  let marked = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const before = new Map(
      (
        await tx
          .select({ externalId: crmLeads.externalId, matchPhones: crmLeads.matchPhones, leadCreatedAt: crmLeads.leadCreatedAt })
          .from(crmLeads)
          .where(and(eq(crmLeads.tenantId, tenant.id), inArray(crmLeads.externalId, chunk.map((r) => r.externalId))))
          .for('update')
      ).map((r) => [r.externalId, r]),
    );
    const contactIds = [...new Set(chunk.flatMap((r) => (r.contactExternalId ? [r.contactExternalId] : [])))];
    const contactPhones = new Map(
      contactIds.length === 0
        ? []
        : (
            await tx
              .select({ externalId: crmContacts.externalId, phones: crmContacts.phones })
              .from(crmContacts)
              .where(and(eq(crmContacts.tenantId, tenant.id), inArray(crmContacts.externalId, contactIds)))
          ).map((c) => [c.externalId, c.phones]),
    );
    const values = chunk.map((r) => ({
      id: randomUUID(),
      tenantId: tenant.id,
      externalId: r.externalId,
      contactExternalId: r.contactExternalId,
      phones: r.phones,
      matchPhones: union(r.phones, r.contactExternalId ? (contactPhones.get(r.contactExternalId) ?? []) : []),
      source: r.source,
      leadCreatedAt: r.createdAt,
    }));
    await tx
      .insert(crmLeads)
      .values(values)
      .onConflictDoUpdate({
        target: [crmLeads.tenantId, crmLeads.externalId],
        set: {
          contactExternalId: sql`excluded.contact_external_id`,
          phones: sql`excluded.phones`,
          matchPhones: sql`excluded.match_phones`,
          source: sql`excluded.source`,
          leadCreatedAt: sql`excluded.lead_created_at`,
          updatedAt: sql`now()`,
        },
        // Re-sending the same upload changes nothing (its updatedAt neither).
        setWhere: sql`(${crmLeads.contactExternalId}, ${crmLeads.phones}, ${crmLeads.matchPhones}, ${crmLeads.source}, ${crmLeads.leadCreatedAt})
          is distinct from (excluded.contact_external_id, excluded.phones, excluded.match_phones, excluded.source, excluded.lead_created_at)`,
      });
    const marks = values.flatMap((v) => {
      const b = before.get(v.externalId) ?? null;
      if (b && sameSet(b.matchPhones, v.matchPhones) && b.leadCreatedAt.getTime() === v.leadCreatedAt.getTime()) return [];
      return marksOf(tenant, b, v);
    });
    await markNumbers(tx, tenant.id, marks);
    marked += marks.length;
  }
  return marked;
}

/** A lead deleted: the calls of its phones lose its mark. Returns whether it existed. */
export async function deleteLead(tx: Tx, tenant: TenantRow, externalId: string): Promise<boolean> {
  const [row] = await tx
    .delete(crmLeads)
    .where(and(eq(crmLeads.tenantId, tenant.id), eq(crmLeads.externalId, externalId)))
    .returning({ matchPhones: crmLeads.matchPhones, leadCreatedAt: crmLeads.leadCreatedAt });
  if (!row) return false;
  await markNumbers(tx, tenant.id, marksOf(tenant, row, null));
  return true;
}

/**
 * Contacts whose phones changed (or that were deleted: no phones): the match phones of their leads
 * follow, and the numbers concerned are marked. Returns how many numbers were marked.
 */
export async function contactsChangedForLeads(tx: Tx, tenant: TenantRow, contactExternalIds: readonly string[]): Promise<number> {
  if (contactExternalIds.length === 0) return 0;
  const leads = await tx
    .select()
    .from(crmLeads)
    .where(and(eq(crmLeads.tenantId, tenant.id), inArray(crmLeads.contactExternalId, [...contactExternalIds])))
    .orderBy(crmLeads.id)
    .for('update');
  if (leads.length === 0) return 0;
  const contactPhones = new Map(
    (
      await tx
        .select({ externalId: crmContacts.externalId, phones: crmContacts.phones })
        .from(crmContacts)
        .where(and(eq(crmContacts.tenantId, tenant.id), inArray(crmContacts.externalId, [...contactExternalIds])))
    ).map((c) => [c.externalId, c.phones]),
  );
  let marked = 0;
  for (const l of leads) {
    const matchPhones = union(l.phones, contactPhones.get(l.contactExternalId!) ?? []);
    if (sameSet(matchPhones, l.matchPhones)) continue;
    await tx.update(crmLeads).set({ matchPhones, updatedAt: new Date() }).where(eq(crmLeads.id, l.id));
    const marks = marksOf(tenant, l, { matchPhones, leadCreatedAt: l.leadCreatedAt });
    await markNumbers(tx, tenant.id, marks);
    marked += marks.length;
  }
  return marked;
}

/** Leads of the tenant, most recently changed first. */
export async function listLeads(db: Executor, tenantId: string, limit: number): Promise<CrmLeadRow[]> {
  return db.select().from(crmLeads).where(eq(crmLeads.tenantId, tenantId)).orderBy(sql`${crmLeads.updatedAt} desc, ${crmLeads.id}`).limit(limit);
}

export async function getLead(db: Executor, tenantId: string, externalId: string): Promise<CrmLeadRow | undefined> {
  const [row] = await db.select().from(crmLeads).where(and(eq(crmLeads.tenantId, tenantId), eq(crmLeads.externalId, externalId))).limit(1);
  return row;
}
