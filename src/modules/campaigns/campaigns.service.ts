/**
 * Campaigns and their tracking numbers. Every change of assignments re-assigns the calls of the
 * numbers concerned in the same transaction, so GET /v1/calls, KPIs and ROI never see a campaign
 * list and call campaigns that disagree.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { toE164 } from '../../../connectors/shared/phone.js';
import type { Database, Tx } from '../../db/client.js';
import { campaignNumbers, campaigns, type CampaignNumberRow, type CampaignRow, type TenantRow } from '../../db/schema/index.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { CallChangeListener } from '../calls/index.js';
import { assign, assignmentsOf, currentNumbers, release } from './assignments.js';
import type { CreateCampaignBody, PatchCampaignBody, TrackingNumberEntry } from './campaigns.schemas.js';
import { reassignCalls } from './reassign.js';

interface NormalisedEntry {
  number: string;
  /** undefined: no explicit period (see assign()). */
  from?: Date | null;
  to?: Date | null;
}

export function campaignView(c: CampaignRow, rows: CampaignNumberRow[], now = new Date()) {
  return {
    id: c.id,
    name: c.name,
    channel: c.channel,
    trackingNumbers: currentNumbers(rows, now),
    /** Every period, past ones included: the history calls are assigned from. */
    assignments: rows.map((r) => ({ number: r.number, from: r.validFrom?.toISOString() ?? null, to: r.validTo?.toISOString() ?? null })),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export type CampaignView = ReturnType<typeof campaignView>;

export class CampaignsService {
  constructor(
    private readonly db: Database,
    private readonly listeners: readonly CallChangeListener[],
  ) {}

  async create(tenant: TenantRow, body: CreateCampaignBody): Promise<CampaignView> {
    const entries = normalise(tenant, body.trackingNumbers);
    const id = randomUUID();
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(campaigns).values({ id, tenantId: tenant.id, name: body.name, channel: body.channel }).returning();
      const now = new Date();
      for (const e of entries) await assign(tx, tenant.id, id, e.number, e, now);
      await reassignCalls(tx, tenant.id, entries.map((e) => e.number), this.listeners);
      return campaignView(row!, await assignmentsOf(tx, tenant.id, [id]), now);
    });
  }

  async list(tenant: TenantRow, filter: { channel?: string }): Promise<CampaignView[]> {
    const rows = await this.db
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.tenantId, tenant.id), isNull(campaigns.deletedAt), filter.channel ? eq(campaigns.channel, filter.channel) : undefined))
      .orderBy(asc(campaigns.createdAt), asc(campaigns.id));
    const numbers = await assignmentsOf(this.db, tenant.id, rows.map((r) => r.id));
    return rows.map((r) => campaignView(r, numbers.filter((n) => n.campaignId === r.id)));
  }

  async get(tenant: TenantRow, id: string): Promise<CampaignView> {
    const row = await this.find(this.db, tenant.id, id);
    return campaignView(row, await assignmentsOf(this.db, tenant.id, [id]));
  }

  async update(tenant: TenantRow, id: string, patch: PatchCampaignBody): Promise<CampaignView> {
    const entries = patch.trackingNumbers ? normalise(tenant, patch.trackingNumbers) : null;
    return this.db.transaction(async (tx) => {
      await this.find(tx, tenant.id, id, true);
      const now = new Date();
      const [row] = await tx
        .update(campaigns)
        .set({ ...(patch.name ? { name: patch.name } : {}), ...(patch.channel ? { channel: patch.channel } : {}), updatedAt: now })
        .where(eq(campaigns.id, id))
        .returning();
      if (entries) {
        const held = currentNumbers(await assignmentsOf(tx, tenant.id, [id]), now);
        const wanted = new Set(entries.map((e) => e.number));
        const released = held.filter((n) => !wanted.has(n));
        for (const n of released) await release(tx, tenant.id, id, n, now);
        // A number the campaign already holds stays as it is, unless the entry names a period.
        const assigned = entries.filter((e) => !held.includes(e.number) || e.from !== undefined || e.to !== undefined);
        for (const e of assigned) await assign(tx, tenant.id, id, e.number, e, now);
        await reassignCalls(tx, tenant.id, [...released, ...assigned.map((e) => e.number)], this.listeners);
      }
      return campaignView(row!, await assignmentsOf(tx, tenant.id, [id]), now);
    });
  }

  /**
   * The campaign and its assignments go (the campaign is soft-deleted: 404 from now on, but the
   * costs that name it keep it); its calls fall back to whatever else covers their number.
   */
  async remove(tenant: TenantRow, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.find(tx, tenant.id, id, true);
      const numbers = [...new Set((await assignmentsOf(tx, tenant.id, [id])).map((r) => r.number))];
      await tx.delete(campaignNumbers).where(and(eq(campaignNumbers.tenantId, tenant.id), eq(campaignNumbers.campaignId, id)));
      await tx.update(campaigns).set({ deletedAt: new Date(), updatedAt: new Date() }).where(eq(campaigns.id, id));
      await reassignCalls(tx, tenant.id, numbers, this.listeners);
    });
  }

  private async find(db: Database | Tx, tenantId: string, id: string, lock = false): Promise<CampaignRow> {
    const query = db.select().from(campaigns).where(and(eq(campaigns.tenantId, tenantId), eq(campaigns.id, id), isNull(campaigns.deletedAt))).limit(1);
    const [row] = lock ? await query.for('update') : await query;
    if (!row) throw new NotFoundError('Campaign');
    return row;
  }
}

/** Numbers to E.164 with the tenant country as default region; 400 with the index of a bad one. */
function normalise(tenant: TenantRow, entries: TrackingNumberEntry[]): NormalisedEntry[] {
  const errors: { path: string; message: string }[] = [];
  const byNumber = new Map<string, NormalisedEntry>();
  entries.forEach((entry, index) => {
    const raw = typeof entry === 'string' ? entry : entry.number;
    const number = toE164(raw, { defaultCountry: tenant.country ?? undefined });
    if (!number) {
      errors.push({ path: `body.trackingNumbers.${index}`, message: `"${raw}" is not a valid phone number` });
      return;
    }
    const e: NormalisedEntry = { number };
    if (typeof entry !== 'string') {
      if (entry.from !== undefined) e.from = entry.from === null ? null : new Date(entry.from);
      if (entry.to !== undefined) e.to = entry.to === null ? null : new Date(entry.to);
    }
    if (byNumber.has(number) && typeof entry === 'string') return;
    byNumber.set(number, e);
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return [...byNumber.values()];
}
