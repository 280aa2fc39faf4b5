import { describe, expect, it } from 'vitest';
import { handlingOf } from './automation.js';

const bot = { id: 'aiva-1', name: 'Front desk', escalated: false, evidence: 'aircall ai_voice_agent.ended (answered)' };

describe('handlingOf', () => {
  it('never infers automation from a missing agent', () => {
    expect(handlingOf({ direction: 'inbound', status: 'abandoned', agentCount: 0 })).toEqual({ status: 'abandoned', handledBy: null, escalatedFromAutomation: false, automation: null });
    expect(handlingOf({ direction: 'inbound', status: 'answered', agentCount: 1 }).handledBy).toBe('agent');
  });

  it('an endpoint call that reached no agent is self-served; one that reached an agent escalated', () => {
    const endpoint = { id: 'e1', label: '+16505550100' };
    expect(handlingOf({ direction: 'inbound', status: 'abandoned', agentCount: 0, endpoint })).toMatchObject({ status: 'self_served', handledBy: 'automation', escalatedFromAutomation: false, automation: { source: 'endpoint' } });
    expect(handlingOf({ direction: 'inbound', status: 'answered', agentCount: 1, endpoint })).toMatchObject({ status: 'answered', handledBy: 'agent', escalatedFromAutomation: true });
    expect(handlingOf({ direction: 'inbound', status: 'voicemail', agentCount: 0, endpoint }).status).toBe('voicemail');
    expect(handlingOf({ direction: 'outbound', status: 'missed', agentCount: 1, endpoint })).toMatchObject({ status: 'missed', handledBy: 'agent', automation: null });
  });

  it("the provider's report wins; an annotation overrules an endpoint", () => {
    expect(handlingOf({ direction: 'inbound', status: 'self_served', agentCount: 0, provider: bot, annotated: 'agent' })).toMatchObject({ status: 'self_served', handledBy: 'automation', automation: { source: 'provider' } });
    expect(handlingOf({ direction: 'inbound', status: 'abandoned', agentCount: 0, provider: { ...bot, escalated: true } })).toMatchObject({ status: 'abandoned', handledBy: 'automation', escalatedFromAutomation: true });
    expect(handlingOf({ direction: 'inbound', status: 'missed', agentCount: 0, annotated: 'agent', endpoint: { id: 'e', label: 'q' } })).toMatchObject({ status: 'missed', handledBy: 'agent', automation: null });
    expect(handlingOf({ direction: 'inbound', status: 'missed', agentCount: 0, annotated: 'automation' })).toMatchObject({ status: 'self_served', automation: { source: 'annotation' } });
  });
});
