/**
 * Pre-signed webhook deliveries for the ingest benchmark, one distinct delivery per request (distinct
 * call ids and delivery ids, so every one is inserted, never deduplicated).
 *
 * Bodies are the provider fixtures (test/fixtures/<provider>/inbound_answered.json) with their ids
 * replaced, so the bytes on the wire have a realistic size and shape. Each delivery is made valid the
 * way the provider makes it (see the connector tests):
 * - Twilio: X-Twilio-Signature from the SDK's own `getExpectedTwilioSignature`, over the URL the hub
 *   believes was requested (PUBLIC_BASE_URL + path), plus I-Twilio-Idempotency-Token.
 * - RingCentral: the subscription's static Verification-Token header, a distinct notification `uuid`.
 * - Vonage: `Authorization: Bearer <JWT>` HS256 with the signature secret and `payload_hash`
 *   (@vonage/jwt only signs RS256, so the HMAC is made here as connectors/vonage/vonage.test.ts does).
 * - Aircall: the webhook `token` in the body.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import twilio from 'twilio';
import { z } from 'zod';

export const benchProviders = ['twilio', 'ringcentral', 'vonage', 'aircall'] as const;
export type BenchProvider = (typeof benchProviders)[number];

/** The hub verifies Twilio signatures against this base (it is never contacted). */
export const BENCH_PUBLIC_BASE_URL = 'https://hub.bench.example';

/** Credentials of the benchmark's connections (loopback only, throw-away database). */
export const benchCredentials = {
  twilio: { accountSid: 'ACebbef090ddae5eb33c8a5f771f74d14c', authToken: 'bench0123456789abcdef0123456789ab' },
  ringcentral: {
    clientId: 'bench-client-id',
    clientSecret: 'bench-client-secret',
    jwt: 'bench.jwt.credential',
    verificationToken: 'bench-rc-verification-token-0001',
  },
  vonage: {
    apiKey: 'a1b2c3d4',
    apiSecret: 'bench-api-secret',
    applicationId: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
    signatureSecret: 'bench-vonage-signature-secret-0001',
  },
  aircall: { apiId: 'bench-api-id', apiToken: 'bench-api-token', webhookToken: 'bench-aircall-webhook-token-0001' },
} as const satisfies Record<BenchProvider, Record<string, string>>;

/** One request as the load generator sends it: path, headers (without Host/Content-Length), body. */
export interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const fixtureSchema = z.object({
  deliveries: z.array(
    z.looseObject({
      kind: z.string(),
      headers: z.record(z.string(), z.string()),
      params: z.record(z.string(), z.string()).optional(),
      body: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

function fixtureDeliveries(provider: BenchProvider) {
  const url = new URL(`../../test/fixtures/${provider}/inbound_answered.json`, import.meta.url);
  return fixtureSchema.parse(JSON.parse(readFileSync(url, 'utf8'))).deliveries;
}

/** Deterministic, distinct hex of `length` characters for delivery number `i` of a run. */
function hexId(runTag: string, i: number, length: number): string {
  return createHash('sha256').update(`${runTag}:${i}`).digest('hex').slice(0, length);
}

function uuidLike(runTag: string, i: number): string {
  const h = hexId(runTag, i, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Replaces every occurrence of a fixture id in a JSON body (ids appear in several fields). */
function replaceAll(json: string, replacements: Record<string, string>): string {
  let out = json;
  for (const [from, to] of Object.entries(replacements)) out = out.split(from).join(to);
  return out;
}

export interface DeliveryFactory {
  provider: BenchProvider;
  make(i: number): Delivery;
}

/**
 * A factory of valid deliveries for a connection. `runTag` makes the ids of one run distinct from
 * any other run's; `nowSeconds` is the Vonage JWT `iat` (the hub refuses tokens older than 300 s).
 */
export function deliveryFactory(provider: BenchProvider, connectionId: string, runTag: string, nowSeconds: number): DeliveryFactory {
  const path = `/webhooks/${provider}/${connectionId}`;
  const publicUrl = `${BENCH_PUBLIC_BASE_URL}${path}`;
  const fixtures = fixtureDeliveries(provider);

  switch (provider) {
    case 'twilio': {
      // The final status callback: the largest and most common delivery of a call.
      const template = fixtures.find((d) => d.kind === 'status-callback' && d.params?.CallStatus === 'completed');
      if (!template?.params) throw new Error('twilio fixture has no completed status callback');
      const params = template.params;
      return {
        provider,
        make(i) {
          const p = { ...params, CallSid: `CA${hexId(runTag, i, 32)}` };
          return {
            path,
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
              'X-Twilio-Signature': twilio.getExpectedTwilioSignature(benchCredentials.twilio.authToken, publicUrl, p),
              'I-Twilio-Idempotency-Token': uuidLike(runTag, i),
            },
            body: Buffer.from(new URLSearchParams(p).toString()),
          };
        },
      };
    }
    case 'ringcentral': {
      const template = fixtures.find((d) => d.kind === 'notification' && d.body);
      const body = template?.body;
      const inner = z.object({ uuid: z.string(), body: z.object({ telephonySessionId: z.string() }) }).parse(body);
      const json = JSON.stringify(body);
      return {
        provider,
        make(i) {
          const raw = replaceAll(json, {
            [inner.uuid]: `${BigInt(`0x${hexId(runTag, i, 15)}`)}`,
            [inner.body.telephonySessionId]: `s-${hexId(runTag, i, 32)}`,
          });
          return {
            path,
            headers: {
              'Content-Type': 'application/json; charset=UTF-8',
              'Verification-Token': benchCredentials.ringcentral.verificationToken,
            },
            body: Buffer.from(raw),
          };
        },
      };
    }
    case 'vonage': {
      const template = fixtures.find((d) => d.body && d.headers.Authorization);
      const ids = z.object({ uuid: z.string(), conversation_uuid: z.string() }).parse(template?.body);
      const json = JSON.stringify(template?.body);
      const secret = benchCredentials.vonage.signatureSecret;
      const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const header = encode({ alg: 'HS256', typ: 'JWT' });
      return {
        provider,
        make(i) {
          const raw = Buffer.from(
            replaceAll(json, { [ids.conversation_uuid]: `CON-${uuidLike(runTag, i)}`, [ids.uuid]: uuidLike(`${runTag}:leg`, i) }),
          );
          const claims = encode({
            iat: nowSeconds,
            jti: uuidLike(`${runTag}:jti`, i),
            iss: 'Vonage',
            payload_hash: createHash('sha256').update(raw).digest('hex'),
            api_key: benchCredentials.vonage.apiKey,
            application_id: benchCredentials.vonage.applicationId,
          });
          const unsigned = `${header}.${claims}`;
          const token = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
          return { path, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: raw };
        },
      };
    }
    case 'aircall': {
      const template = fixtures.find((d) => d.body?.event === 'call.ended') ?? fixtures.find((d) => d.body);
      const parsed = z.looseObject({ data: z.looseObject({ id: z.number() }) }).parse(template?.body);
      return {
        provider,
        make(i) {
          const body = {
            ...parsed,
            token: benchCredentials.aircall.webhookToken,
            data: { ...parsed.data, id: 1_000_000_000 + i, call_uuid: `CA${hexId(runTag, i, 32)}` },
          };
          return { path, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
        },
      };
    }
  }
}

/** The whole HTTP/1.1 request, serialised once so the load loop only writes bytes. */
export function serialise(d: Delivery, port: number): Buffer {
  const lines = [`POST ${d.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${d.body.length}`];
  for (const [k, v] of Object.entries(d.headers)) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), d.body]);
}

/**
 * The same delivery with its proof of origin broken the way a forger would break it: the hub must
 * answer 401 and store nothing (a bench that accepted these would not be measuring verification).
 */
export function forged(provider: BenchProvider, d: Delivery): Delivery {
  switch (provider) {
    case 'ringcentral':
      return { ...d, headers: { ...d.headers, 'Verification-Token': 'not-the-token' } };
    case 'aircall':
      return { ...d, body: Buffer.from(d.body.toString('utf8').replace(benchCredentials.aircall.webhookToken, 'not-the-token')) };
    case 'vonage': {
      // Still valid JSON (a broken one is a 400 before verification), but not the bytes that were signed.
      const body = JSON.parse(d.body.toString('utf8')) as Record<string, unknown>;
      return { ...d, body: Buffer.from(JSON.stringify({ ...body, forged: true })) };
    }
    default: {
      // Twilio signs the form fields: one changed byte fails it.
      const body = Buffer.from(d.body);
      const at = body.length - 2;
      body[at] = body[at] === 0x61 ? 0x62 : 0x61;
      return { ...d, body };
    }
  }
}
