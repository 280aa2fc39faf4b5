/** Redis keys a test created, removed by their prefix (a glob) so a run leaves nothing behind. */
import { Redis } from 'ioredis';
import { redisUrl } from './env.js';

export async function deleteRedisPrefix(prefix: string, url = redisUrl()): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
