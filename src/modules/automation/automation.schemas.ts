import { z } from 'zod';

/** POST /v1/automation-endpoints: a number (any format; tenant country as default region) and/or a queue (id or name). */
export const createEndpointBody = z
  .object({
    number: z.string().trim().min(3).max(40).optional(),
    queue: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => b.number !== undefined || b.queue !== undefined, { message: 'give a number, a queue or both', path: ['number'] });
export type CreateEndpointBody = z.infer<typeof createEndpointBody>;

export const endpointResponse = z.object({
  id: z.uuid(),
  number: z.string().nullable().describe('E.164; a call to it counts (with `queue` too when both are set)'),
  queue: z.string().nullable().describe("matches the call's queue id or name"),
  createdAt: z.iso.datetime(),
});
export const endpointListResponse = z.object({ data: z.array(endpointResponse) });
