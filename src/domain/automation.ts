/**
 * Who handled a call: an agent, automation (an IVR, a bot, an AI voice agent), or nobody known.
 *
 * `automation` needs positive evidence, in this order of precedence: the provider's own report
 * (the connector's `automation`), an annotation of the call naming who handled it, an automation
 * endpoint of the tenant (the call came in on a number or queue the tenant says a bot answers).
 * The mere absence of an agent is never evidence: a caller who hangs up before an agent answers
 * stays `abandoned`.
 *
 * With evidence, a call that reached an agent (status `answered`) is the agent's and
 * `escalatedFromAutomation`; one that ended without reaching an agent (abandoned or missed, or the
 * provider's own `self_served`) is `self_served`, unless the provider says the bot handed the caller
 * over and nobody took it (then it keeps the provider's status, escalated). Voicemail, busy, failed
 * and in-progress calls keep their status.
 */
export type HandledBy = 'agent' | 'automation';

export interface AutomationEvidence {
  source: 'provider' | 'endpoint' | 'annotation';
  id: string | null;
  name: string | null;
  evidence: string;
}

export interface HandlingInput {
  direction: 'inbound' | 'outbound';
  status: string;
  agentCount: number;
  /** The provider's report (UnifiedCallDraft.automation). */
  provider?: { id: string | null; name: string | null; escalated: boolean; evidence: string } | undefined;
  /** What an annotation of the call says handled it (null: it says nothing). */
  annotated?: HandledBy | null;
  /** The tenant's automation endpoint the call came in on, if any. */
  endpoint?: { id: string; label: string } | null;
}

export interface Handling {
  status: string;
  handledBy: HandledBy | null;
  escalatedFromAutomation: boolean;
  automation: AutomationEvidence | null;
}

const ENDS_WITHOUT_AGENT = new Set(['abandoned', 'missed', 'self_served']);

function evidenceOf(input: HandlingInput): AutomationEvidence | null {
  if (input.provider) return { source: 'provider', id: input.provider.id, name: input.provider.name, evidence: input.provider.evidence };
  if (input.annotated === 'automation') return { source: 'annotation', id: null, name: null, evidence: 'annotation: handledBy automation' };
  // An annotation saying an agent handled the call overrules the number's or queue's default.
  if (input.annotated === 'agent') return null;
  if (input.endpoint) return { source: 'endpoint', id: input.endpoint.id, name: input.endpoint.label, evidence: `automation endpoint ${input.endpoint.label}` };
  return null;
}

export function handlingOf(input: HandlingInput): Handling {
  const byAgent = input.status === 'answered' || input.agentCount > 0 || input.annotated === 'agent';
  const evidence = input.direction === 'inbound' ? evidenceOf(input) : null;
  if (!evidence) return { status: input.status, handledBy: byAgent ? 'agent' : null, escalatedFromAutomation: false, automation: null };
  if (input.status === 'answered') return { status: input.status, handledBy: 'agent', escalatedFromAutomation: true, automation: evidence };
  const handedOver = input.provider?.escalated === true;
  const status = !handedOver && ENDS_WITHOUT_AGENT.has(input.status) ? 'self_served' : input.status;
  return { status, handledBy: 'automation', escalatedFromAutomation: handedOver, automation: evidence };
}
