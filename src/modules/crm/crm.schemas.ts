import { z } from 'zod';
import { dealStages, dealTypes } from '../../domain/deals.js';
import { externalIdField, phonesField } from '../../http/bulk.js';


export const contactRow = z.object({
  externalId: externalIdField,
  phones: phonesField.default([]),
  name: z.string().max(500).nullish(),
  email: z.string().max(320).nullish(),
});

export const dealRow = z.object({
  externalId: externalIdField,
  contactExternalId: externalIdField.nullish(),
  phones: phonesField.default([]),
  amount: z.union([z.string().max(40), z.number()]),
  /** The deal's margin: an amount in the same currency, or a percent of `amount` (not both). */
  margin: z.union([z.string().max(40), z.number()]).nullish(),
  marginPercent: z.number().min(-100).max(100).nullish(),
  currency: z.string().min(1).max(10),
  stage: z.enum(dealStages),
  type: z.enum(dealTypes).nullish(),
  closedAt: z.iso.datetime({ offset: true }).nullish(),
});

/** A lead from the CRM: matched to calls by its phones, or its contact's (contract section 6). */
export const leadRow = z
  .object({
    externalId: externalIdField,
    phones: phonesField.default([]),
    contactExternalId: externalIdField.nullish(),
    source: z.string().trim().min(1).max(200),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .strict();

export const externalIdParam = z.object({ externalId: externalIdField });
