/** Deal vocabulary shared by the CRM (what a tenant posts) and ROI (how revenue is broken down). */
import { Decimal } from 'decimal.js';
export const dealStages = ['won', 'lost', 'open'] as const;
export const dealTypes = ['new', 'upsell', 'cross_sell', 'renewal'] as const;
export type DealType = (typeof dealTypes)[number];

/** A deal's type in revenue breakdowns: a deal posted without one is `unspecified`. */
export type DealTypeKey = DealType | 'unspecified';
export const dealTypeKeys: readonly DealTypeKey[] = [...dealTypes, 'unspecified'];

/**
 * A deal's margin in cents: its own `margin` (cents), else `marginPercent` of its amount, else the
 * tenant's `defaultMarginPercent` of it; null when none is known (never guessed). A percent of an
 * amount is rounded to the cent, half away from zero.
 */
export function marginCentsOf(
  deal: { amountCents: bigint; marginCents: bigint | null; marginPercent: string | null },
  tenantDefaultPercent: number | null,
): bigint | null {
  if (deal.marginCents !== null) return deal.marginCents;
  const percent = deal.marginPercent ?? (tenantDefaultPercent === null ? null : String(tenantDefaultPercent));
  if (percent === null) return null;
  const cents = new Decimal(deal.amountCents.toString()).mul(percent).div(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return BigInt(cents.toFixed(0));
}
