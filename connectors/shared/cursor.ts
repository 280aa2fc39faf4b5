import type { z } from 'zod';

/**
 * A backfill cursor: a small versioned JSON object, base64url-encoded so the hub stores it as an
 * opaque string, and validated on the way back in (a cursor from an older layout or another
 * provider is refused rather than misread).
 */
export interface CursorCodec<C> {
  encode(cursor: C): string;
  decode(raw: string): C;
}

export function cursorCodec<S extends z.ZodType>(provider: string, schema: S): CursorCodec<z.infer<S>> {
  return {
    encode: (cursor) => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url'),
    decode: (raw) => {
      try {
        return schema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
      } catch {
        throw new Error(`invalid ${provider} backfill cursor`);
      }
    },
  };
}
