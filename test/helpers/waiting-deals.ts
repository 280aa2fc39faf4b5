/**
 * What a reader gives while deals wait for the `roi-refresh` job: `fn` runs in a transaction where
 * these deals are marked waiting (attribution_dirty_deals), rolled back after. The ROI readers then
 * attribute them live and compute their close days on the fly: the live reference of the stored paths.
 */
import type { Database, Tx } from '../../src/db/client.js';
import { markDealsDirty } from '../../src/modules/roi/changes.js';

export async function whileWaiting<T>(db: Database, tenantId: string, dealIds: readonly string[], fn: (tx: Tx) => Promise<T>): Promise<T> {
  let out: { value: T } | null = null;
  await db
    .transaction(async (tx) => {
      await markDealsDirty(tx, tenantId, dealIds);
      out = { value: await fn(tx) };
      tx.rollback();
    })
    .catch((err: Error) => {
      if (!/rollback/i.test(err.message)) throw err;
    });
  if (!out) throw new Error('whileWaiting: no result');
  return (out as { value: T }).value;
}

