import type { z } from 'zod';
import { ValidationError } from '../lib/errors.js';

/** Parse a request part with zod; failures become a 400 listing every field path. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}
