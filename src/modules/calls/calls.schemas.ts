import { z } from 'zod';
import { formatField } from '../../http/csv.js';
import { callStatuses, providerIds } from '../../../connectors/contract.js';

export const listCallsQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    provider: z.enum(providerIds).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    status: z.enum(callStatuses).optional(),
    agentId: z.string().min(1).max(200).optional(),
    campaignId: z.uuid().optional(),
    queue: z.string().min(1).max(200).optional(),
    connectionId: z.uuid().optional(),
    externalNumber: z.string().min(3).max(32).optional(),
    updatedSince: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** `csv`: every matching call, streamed (no cursor or limit needed; as `Accept: text/csv`). */
    format: z.enum(formatField).optional(),
  })
  .strict();

export type ListCallsQuery = z.infer<typeof listCallsQuery>;

const agentRef = z.object({ id: z.string(), name: z.string().nullable() });

/** The unified call of contract section 4 (documentation of the response). */
export const callResponse = z.object({
  id: z.uuid(),
  provider: z.enum(providerIds),
  connectionId: z.uuid(),
  providerCallId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.enum(callStatuses),
  externalNumber: z.string().nullable().describe('customer number, E.164'),
  trackingNumber: z.string().nullable().describe('company number, E.164'),
  startedAt: z.iso.datetime(),
  answeredAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
  waitSeconds: z.number().int(),
  talkSeconds: z.number().int(),
  holdSeconds: z.number().int().nullable(),
  afterCallWorkSeconds: z.number().int(),
  handleSeconds: z.number().int(),
  agent: agentRef.nullable(),
  agents: z.array(agentRef),
  offeredAgents: z.array(agentRef),
  queue: z.object({ id: z.string().nullable(), name: z.string().nullable() }).nullable(),
  tags: z.array(z.string()),
  recordingUrl: z.string().nullable(),
  telephonyCost: z.object({ amount: z.string(), currency: z.string() }).nullable(),
  campaignId: z.uuid().nullable(),
  attributedRevenue: z.string().describe('2-decimal string, last_touch'),
  handledBy: z.enum(['agent', 'automation']).nullable().describe('automation only on positive evidence (provider report, automation endpoint, annotation); null when neither an agent nor automation is known to have handled it'),
  escalatedFromAutomation: z.boolean().describe('the call met automation and was handed to an agent'),
  automation: z
    .object({ source: z.enum(['provider', 'endpoint', 'annotation']), id: z.string().nullable(), name: z.string().nullable(), evidence: z.string() })
    .nullable()
    .describe('the evidence that the call met automation'),
  firstTimeCaller: z.boolean().nullable().describe("a lead: its number had no call (either direction) in the tenant's leadLookbackDays (default 90) before it; null without a number"),
  crmLead: z.boolean().describe('a CRM lead (POST /v1/crm/leads) marks this call: the first call of one of its phones from its createdAt − leadLookbackDays on'),
  lead: z.boolean().describe('firstTimeCaller or crmLead: the call counts in the leads figures'),
  sentiment: z
    .object({ label: z.enum(['positive', 'neutral', 'negative']), score: z.number().min(-1).max(1).nullable(), source: z.string() })
    .nullable()
    .describe("the customer's sentiment: from the provider's speech analytics (source 'aircall sentiment.created' or 'twilio intelligence operator results') or an annotation (source 'annotation'), which wins"),
  summary: z.string().nullable().describe('transcript summary (annotation)'),
  topics: z.array(z.string()).nullable().describe('topics (annotation)'),
  outcome: z.string().nullable().describe("the call's outcome in the tenant's words (annotation)"),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const callListResponse = z.object({ data: z.array(callResponse), nextCursor: z.string().nullable() });
