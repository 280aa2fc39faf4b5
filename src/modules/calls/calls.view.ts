import { Decimal } from 'decimal.js';
import type { CallRow } from '../../db/schema/index.js';

/** A decimal string with at least 2 places ("0.0280" stays, "12" → "12.00"). */
export function decimalString(value: string | null): string | null {
  if (value === null) return null;
  const d = new Decimal(value);
  const places = Math.max(2, d.decimalPlaces());
  return d.toFixed(places);
}

/** The unified call of contract section 4. */
export function callView(c: CallRow) {
  return {
    id: c.id,
    provider: c.provider,
    connectionId: c.connectionId,
    providerCallId: c.providerCallId,
    direction: c.direction,
    status: c.status,
    externalNumber: c.externalNumber,
    trackingNumber: c.trackingNumber,
    startedAt: c.startedAt.toISOString(),
    answeredAt: c.answeredAt?.toISOString() ?? null,
    endedAt: c.endedAt?.toISOString() ?? null,
    waitSeconds: c.waitSeconds,
    talkSeconds: c.talkSeconds,
    holdSeconds: c.holdSeconds,
    afterCallWorkSeconds: c.afterCallWorkSeconds,
    handleSeconds: c.handleSeconds,
    agent: c.agentId ? { id: c.agentId, name: c.agentName } : null,
    agents: c.agents,
    offeredAgents: c.offeredAgents,
    queue: c.queueId || c.queueName ? { id: c.queueId, name: c.queueName } : null,
    tags: c.tags,
    recordingUrl: c.recordingUrl,
    telephonyCost: c.costAmount !== null ? { amount: decimalString(c.costAmount), currency: c.costCurrency } : null,
    campaignId: c.campaignId,
    attributedRevenue: decimalString(c.attributedRevenue) ?? '0.00',
    handledBy: c.handledBy as 'agent' | 'automation' | null,
    escalatedFromAutomation: c.escalatedFromAutomation,
    automation: c.automation,
    firstTimeCaller: c.firstTimeCaller,
    crmLead: c.crmLead,
    lead: c.firstTimeCaller === true || c.crmLead,
    sentiment: c.sentiment,
    summary: c.summary,
    topics: c.topics,
    outcome: c.outcome,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export type CallView = ReturnType<typeof callView>;
