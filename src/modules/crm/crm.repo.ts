import { and, eq, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { queryRows, type Executor } from '../../db/client.js';
import { crmContacts, crmDeals } from '../../db/schema/index.js';
import { formatCents } from '../../domain/money.js';
import { changedFrom, fromExcluded, idList } from '../../db/sql.js';

const CHUNK = 1000;

/** What an upsert may change: a row equal on these fields is left alone (its updatedAt too). */
const CONTACT_FIELDS = { phones: crmContacts.phones, name: crmContacts.name, email: crmContacts.email };
const DEAL_FIELDS = {
  contactExternalId: crmDeals.contactExternalId,
  phones: crmDeals.phones,
  amount: crmDeals.amount,
  margin: crmDeals.margin,
  marginPercent: crmDeals.marginPercent,
  currency: crmDeals.currency,
  stage: crmDeals.stage,
  type: crmDeals.type,
  closedAt: crmDeals.closedAt,
};

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
        set: { ...fromExcluded(CONTACT_FIELDS), updatedAt: sql`now()` },
        setWhere: changedFrom(CONTACT_FIELDS),
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
          ...fromExcluded(DEAL_FIELDS),
          updatedAt: sql`now()`,
        },
        setWhere: changedFrom(DEAL_FIELDS),
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
    sql`select ${crmDeals.id} as id from ${crmDeals} where ${crmDeals.tenantId} = ${tenantId} and ${crmDeals.contactExternalId} in (${idList(contactExternalIds)})`,
  );
  return rows.map((r) => r.id);
}
