import { z } from 'zod';

/** Built once: a zod schema constructed per call costs more than the check (webhook hot path). */
const uuid = z.uuid();

/** A malformed id answers exactly like an unknown one (404), so callers test before querying. */
export function isUuid(value: string): boolean {
  return uuid.safeParse(value).success;
}
