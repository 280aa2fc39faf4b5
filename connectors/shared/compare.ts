import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The digest of the last secret compared against: a connection's token, the same delivery after delivery. */
let lastSecret: string | null = null;
let lastSecretDigest: Buffer | null = null;

/**
 * Constant-time comparison of what a request presents with a secret of ours (hashing first so
 * different lengths leak nothing). The secret's digest is kept from one call to the next: looking
 * it up compares our own secret with itself, nothing the caller sent.
 */
export function constantTimeEqual(presented: string, secret: string): boolean {
  if (secret !== lastSecret || lastSecretDigest === null) {
    lastSecretDigest = digest(secret);
    lastSecret = secret;
  }
  return timingSafeEqual(digest(presented), lastSecretDigest) && presented.length === secret.length;
}
