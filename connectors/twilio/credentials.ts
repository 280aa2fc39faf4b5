import { z } from 'zod';

export const credentialsSchema = z.object({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID (AC + 32 hex characters)'),
  /** Verifies X-Twilio-Signature and authenticates REST calls (unless an API key is given). */
  authToken: z.string().min(16).max(128),
  /** Optional API key for REST calls (SK…); the auth token still verifies webhooks. */
  apiKeySid: z.string().regex(/^SK[0-9a-fA-F]{32}$/).optional(),
  apiKeySecret: z.string().min(16).max(128).optional(),
});

export type TwilioCredentials = z.infer<typeof credentialsSchema>;
