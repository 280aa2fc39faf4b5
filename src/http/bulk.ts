/**
 * Bulk uploads (contract section 5): every row is validated on its own, a bad row is rejected with
 * its index and a reason a person can act on, and the good rows land. `{ upserted, rejected }`.
 */
import { z, ZodError } from 'zod';
import { MoneyError, parseAmount } from '../domain/money.js';
import { toE164 } from '../../connectors/shared/phone.js';
import type { TenantRow } from '../db/schema/index.js';

export interface Rejection {
  index: number;
  error: string;
}

export interface BulkResult {
  upserted: number;
  rejected: Rejection[];
}

/** A reason a row cannot be stored, shown as is in `rejected[].error`. */
export class RowError extends Error {
  override name = 'RowError';
}

/** Up to 10 000 rows per request: validated one by one, so the array items are `unknown` here. */
export const bulkBody = <K extends string>(field: K) =>
  z.object({ [field]: z.array(z.unknown()).max(10_000) } as { [P in K]: z.ZodArray<z.ZodUnknown> }).strict();

function describe(err: unknown): string {
  if (err instanceof ZodError) return err.issues.map((i) => `${i.path.length ? i.path.join('.') : 'row'}: ${i.message}`).join('; ');
  if (err instanceof RowError || err instanceof MoneyError) return err.message;
  throw err;
}

/** Validate every row with `prepare` (which throws RowError, MoneyError or ZodError for a bad row). */
export function prepareRows<T>(rows: unknown[], prepare: (row: unknown) => T): { valid: { index: number; value: T }[]; rejected: Rejection[] } {
  const valid: { index: number; value: T }[] = [];
  const rejected: Rejection[] = [];
  rows.forEach((row, index) => {
    try {
      valid.push({ index, value: prepare(row) });
    } catch (err) {
      rejected.push({ index, error: describe(err) });
    }
  });
  return { valid, rejected };
}

/** Rows sharing a key: the last one wins (what the same rows sent one by one would leave). */
export function lastPerKey<T>(rows: { index: number; value: T }[], key: (v: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r.value), r.value])).values()];
}

/** Phones to E.164 with the tenant's country as default region, deduplicated, in order. */
export function normalisePhones(tenant: TenantRow, phones: readonly string[]): string[] {
  const out: string[] = [];
  phones.forEach((raw, i) => {
    const e164 = toE164(raw, { defaultCountry: tenant.country ?? undefined });
    if (!e164) throw new RowError(`phones.${i}: "${raw}" is not a valid phone number`);
    if (!out.includes(e164)) out.push(e164);
  });
  return out;
}

/** An amount in the tenant's one currency, as cents. */
export function tenantAmount(tenant: TenantRow, amount: string | number, currency: string): bigint {
  if (currency.trim().toUpperCase() !== tenant.currency) {
    throw new RowError(`currency: ${currency} is not the tenant's currency (${tenant.currency}); a tenant works in one currency`);
  }
  try {
    return parseAmount(amount);
  } catch (err) {
    if (err instanceof MoneyError) throw new RowError(`amount: ${err.message}`);
    throw err;
  }
}

/** The answer of every bulk route, as documented in OpenAPI. */
export const bulkResult = z.object({ upserted: z.number().int(), rejected: z.array(z.object({ index: z.number().int(), error: z.string() })) });

export const phonesField = z.array(z.string().max(40)).max(20);
export const externalIdField = z.string().trim().min(1).max(200);
