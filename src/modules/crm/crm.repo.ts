import { and, eq, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { queryRows, type Executor } from '../../db/client.js';
import { crmContacts, crmDeals } from '../../db/schema/index.js';
import { formatCents } from '../../domain/money.js';
import { fromExcluded, idList } from '../../db/sql.js';

const CHUNK = 1000;

export interface ContactInput {
  externalId: string;
  phones: string[];
  name: string | null;
  email: string | null;
}

export interface DealInput {
  externalId: string;
  contactExternalId: string | null;
  phones: string[];
  amountCents: bigint;
  marginCents: bigint | null;
  marginPercent: number | null;
  currency: string;
  stage: string;
  type: string | null;
  closedAt: Date | null;
}

/**
 * Upsert on (tenant, externalId). A row identical to the stored one is left alone (its updatedAt
 * too), so re-sending an upload changes nothing. Returns the external ids whose phones changed
 * (their deals' touches may have changed).
 */
export async function upsertContacts(tx: Executor, tenantId: string, rows: ContactInput[]): Promise<string[]> {
  const changed: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const before = new Map(
      (
        await tx
          .select({ externalId: crmContacts.externalId, phones: crmContacts.phones })
          .from(crmContacts)
          .where(and(eq(crmContacts.tenantId, tenantId), sql`${crmContacts.externalId} in (${idList(chunk.map((r) => r.externalId))})`))
      ).map((r) => [r.externalId, JSON.stringify(r.phones)]),
    );
    await tx
      .insert(crmContacts)
      .values(chunk.map((r) => ({ id: randomUUID(), tenantId, externalId: r.externalId, phones: r.phones, name: r.name, email: r.email })))
      .onConflictDoUpdate({
        target: [crmContacts.tenantId, crmContacts.externalId],
        set: { phones: sql`excluded.phones`, name: sql`excluded.name`, email: sql`excluded.email`, updatedAt: sql`now()` },
        setWhere: sql`(crm_contacts.phones, crm_contacts.name, crm_contacts.email) is distinct from (excluded.phones, excluded.name, excluded.email)`,
      });
    for (const r of chunk) if (before.get(r.externalId) !== JSON.stringify(r.phones)) changed.push(r.externalId);
  }
  return changed;
}

/** Upsert deals; returns the ids of the deals inserted or changed. */
export async function upsertDeals(tx: Executor, tenantId: string, rows: DealInput[]): Promise<string[]> {
  const changed: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const returned = await tx
      .insert(crmDeals)
      .values(
        rows.slice(i, i + CHUNK).map((r) => ({
          id: randomUUID(),
          tenantId,
          externalId: r.externalId,
          contactExternalId: r.contactExternalId,
          phones: r.phones,
          amount: formatCents(r.amountCents),
          margin: r.marginCents === null ? null : formatCents(r.marginCents),
          marginPercent: r.marginPercent === null ? null : String(r.marginPercent),
          currency: r.currency,
          stage: r.stage,
          type: r.type,
          closedAt: r.closedAt,
        })),
      )
      .onConflictDoUpdate({
        target: [crmDeals.tenantId, crmDeals.externalId],
        set: {
          ...fromExcluded({
            contactExternalId: crmDeals.contactExternalId,
            phones: crmDeals.phones,
            amount: crmDeals.amount,
            margin: crmDeals.margin,
            marginPercent: crmDeals.marginPercent,
            currency: crmDeals.currency,
            stage: crmDeals.stage,
            type: crmDeals.type,
            closedAt: crmDeals.closedAt,
          }),
          updatedAt: sql`now()`,
        },
        setWhere: sql`(crm_deals.contact_external_id, crm_deals.phones, crm_deals.amount, crm_deals.margin, crm_deals.margin_percent, crm_deals.currency, crm_deals.stage, crm_deals.type, crm_deals.closed_at)
          is distinct from (excluded.contact_external_id, excluded.phones, excluded.amount, excluded.margin, excluded.margin_percent, excluded.currency, excluded.stage, excluded.type, excluded.closed_at)`,
      })
      .returning({ id: crmDeals.id });
    changed.push(...returned.map((r) => r.id));
  }
  return changed;
}

/** Deals that take their phones from these contacts. */
export async function dealsOfContacts(tx: Executor, tenantId: string, contactExternalIds: string[]): Promise<string[]> {
  if (contactExternalIds.length === 0) return [];
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`select id from crm_deals where tenant_id = ${tenantId} and contact_external_id in (${idList(contactExternalIds)})`,
  );
  return rows.map((r) => r.id);
}
