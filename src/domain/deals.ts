/** Deal vocabulary shared by the CRM (what a tenant posts) and ROI (how revenue is broken down). */
export const dealStages = ['won', 'lost', 'open'] as const;
export const dealTypes = ['new', 'upsell', 'cross_sell', 'renewal'] as const;
export type DealType = (typeof dealTypes)[number];

/** A deal's type in revenue breakdowns: a deal posted without one is `unspecified`. */
export type DealTypeKey = DealType | 'unspecified';
export const dealTypeKeys: readonly DealTypeKey[] = [...dealTypes, 'unspecified'];
