/**
 * A call written as recomputeCall writes it: the row, then every call-change listener (KPI
 * rollups, campaigns, ROI…), in one transaction. Inbound and answered, handle time = talk time.
 */
import { randomUUID } from 'node:crypto';
import { calls } from '../../src/db/schema/index.js';
import type { TestHub } from './hub.js';

export async function putAnsweredCall(
  hub: TestHub,
  tenantId: string,
  call: { provider: string; agentId: string; startedAt: string; talkSeconds: number; externalNumber?: string | null },
): Promise<void> {
  await hub.deps.database.db.transaction(async (tx) => {
    const id = randomUUID();
    const [after] = await tx
      .insert(calls)
      .values({
        id,
        tenantId,
        connectionId: randomUUID(),
        provider: call.provider,
        callKey: id,
        providerCallId: id,
        direction: 'inbound',
        status: 'answered',
        externalNumber: call.externalNumber ?? null,
        trackingNumber: null,
        startedAt: new Date(call.startedAt),
        waitSeconds: 10,
        talkSeconds: call.talkSeconds,
        holdSeconds: null,
        afterCallWorkSeconds: 0,
        handleSeconds: call.talkSeconds,
        agentId: call.agentId,
        agentName: `Name of ${call.agentId}`,
        agents: [{ id: call.agentId, name: `Name of ${call.agentId}` }],
        queueId: null,
        queueName: null,
      })
      .returning();
    for (const l of hub.deps.listeners) await l.onCallsChanged?.(tx, [{ tenantId, before: null, after: after! }]);
  });
}
