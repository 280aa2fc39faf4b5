import { z } from 'zod';

export const agentIdParams = z.object({ id: z.string().min(1).max(200) });

export const scheduleRow = z
  .object({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
  })
  .refine((s) => Date.parse(s.start) < Date.parse(s.end), { message: 'start must be before end', path: ['end'] })
  .refine((s) => Date.parse(s.end) - Date.parse(s.start) <= 7 * 86_400_000, { message: 'an interval lasts at most 7 days', path: ['end'] });

/** Rows are validated one by one (a bad row never drops the good ones), so they are `unknown` here. */
export const schedulesBody = z.object({ schedules: z.array(z.unknown()).min(1).max(10_000) });

export const agentView = z.object({
  id: z.string(),
  name: z.string().nullable().describe("the provider's name for the agent"),
  displayName: z.string().nullable().describe('the name the tenant gave (PATCH)'),
  email: z.string().nullable(),
  provider: z.string(),
  linkedTo: z.string().nullable().describe('the agent this one is the same person as: its calls count under that id'),
  linked: z.array(z.string()).describe('the agents linked to this one'),
  createdAt: z.string(),
});

export const patchAgentBody = z
  .object({
    displayName: z.string().trim().min(1).max(200).nullable().optional(),
    email: z.email().max(320).nullable().optional(),
  })
  .strict()
  .refine((b) => b.displayName !== undefined || b.email !== undefined, { message: 'set displayName or email' });

export const linkAgentBody = z.object({ agentId: z.string().min(1).max(200).describe('the other agent: the same person, on another provider') }).strict();
export const queueView = z.object({ id: z.string().nullable(), name: z.string().nullable(), provider: z.string() });
