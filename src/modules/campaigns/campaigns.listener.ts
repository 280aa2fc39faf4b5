import type { CallChangeListener } from '../calls/index.js';
import { campaignAt, campaignsAt } from './assignments.js';

/** Call tracking: a call's campaign is the one its tracking number was assigned to when it started. */
export const campaignListener: CallChangeListener = {
  enrich: async (tx, tenant, draft) => ({
    campaignId: await campaignAt(tx, tenant.id, draft.trackingNumber, new Date(draft.startedAt)),
  }),
  enrichMany: async (tx, tenant, items) =>
    (await campaignsAt(tx, tenant.id, items.map(({ draft }) => ({ trackingNumber: draft.trackingNumber, startedAt: new Date(draft.startedAt) })))).map((campaignId) => ({
      campaignId,
    })),
};
