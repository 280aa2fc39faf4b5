import type { PresenceEvent, ProviderId } from '../../../connectors/index.js';
import type { Tx } from '../../db/client.js';

/** Where agent availability goes (occupancy). The KPI module provides the real one. */
export interface PresenceSink {
  record(tx: Tx, tenantId: string, connectionId: string, provider: ProviderId, events: PresenceEvent[]): Promise<void>;
}
