/**
 * Gauges of shared state, read when /metrics is scraped: queue depth and the oldest waiting job per
 * queue (from the queue itself, so any process reports the same), and inbox rows by status. Counting
 * the inbox groups the whole table, so it is done at most once a minute however often Prometheus
 * scrapes.
 */
import { count } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { webhookEvents } from '../../db/schema/index.js';
import type { JobQueue } from '../../jobs/queue.js';
import { metrics } from '../../lib/metrics.js';

const INBOX_COUNT_EVERY_MS = 60_000;
const INBOX_STATUSES = ['pending', 'processed', 'failed'] as const;

export function scrapeGauges(deps: { db: Database; queue: JobQueue }): () => Promise<void> {
  let inboxCountedAt = 0;
  return async () => {
    const stats = await deps.queue.stats().catch(() => []);
    for (const s of stats) {
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) metrics.queueJobs.set({ queue: s.queue, state }, s[state]);
      metrics.queueOldestWaiting.set({ queue: s.queue }, s.oldestWaitingSeconds);
    }
    if (Date.now() - inboxCountedAt >= INBOX_COUNT_EVERY_MS) {
      try {
        const rows = await deps.db.select({ status: webhookEvents.status, n: count() }).from(webhookEvents).groupBy(webhookEvents.status);
        for (const status of INBOX_STATUSES) metrics.inboxEvents.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
        inboxCountedAt = Date.now();
      } catch {
        // The database is down: /readyz says so; the last counts stay.
      }
    }
  };
}
