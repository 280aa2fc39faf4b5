/**
 * CPU of a webhook's accept work in the connector and the hub's checks, without HTTP or storage:
 * the JSON depth check and parse (JSON providers), verify, dedupeKey and the stored body, for
 * bench/ingest's own deliveries (distinct, validly signed). Each delivery is a fresh buffer, as a
 * request's body is (connectors/shared/body.ts caches by buffer). Not part of `npm run bench` (no
 * section): a focused measure to compare two versions on the same machine state, run alternately.
 *
 *   npx tsx bench/accept-cpu.ts [--provider twilio|ringcentral|vonage|aircall|all] [--deliveries 4000] [--rounds 7]
 *
 * Prints the lowest CPU per delivery over the rounds (the machine is shared: the least disturbed).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { connectorFor, jsonBody, type WebhookRequest } from '../connectors/index.js';
import { jsonTooDeep } from '../src/http/json-depth.js';
import { benchCredentials, benchProviders, BENCH_PUBLIC_BASE_URL, deliveryFactory, type BenchProvider } from './ingest/deliveries.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const context = { logger: silent, fetch, now: () => new Date(), sleep: async () => undefined };

function measure(provider: BenchProvider, deliveries: number, rounds: number): number {
  const connector = connectorFor(provider);
  const factory = deliveryFactory(provider, '00000000-0000-4000-8000-000000000001', `accept-cpu-${process.pid}`, Math.floor(Date.now() / 1000));
  const made = Array.from({ length: deliveries }, (_, i) => factory.make(i));
  const requests = (): WebhookRequest[] =>
    made.map((d) => {
      const headers: Record<string, string> = { host: '127.0.0.1:40000', 'content-length': String(d.body.length) };
      for (const [k, v] of Object.entries(d.headers)) headers[k.toLowerCase()] = v;
      return { method: 'POST', rawBody: Buffer.from(d.body), headers, publicUrl: `${BENCH_PUBLIC_BASE_URL}${d.path}`, query: {} };
    });
  const credentials = benchCredentials[provider];
  let best = Infinity;
  // Round 0 warms the JIT up.
  for (let round = 0; round <= rounds; round++) {
    const batch = requests();
    const start = process.cpuUsage();
    for (const req of batch) {
      if (connector.bodyFormat === 'json' && (jsonTooDeep(req.rawBody) || !jsonBody(req.rawBody))) throw new Error('bad body');
      if (!connector.verify(req, credentials, context).ok) throw new Error(`${provider}: delivery refused`);
      const key = connector.dedupeKey(req);
      const body = connector.redact ? connector.redact(req) : req.rawBody.toString('utf8');
      if (key.length === 0 || body.length === 0) throw new Error('empty');
    }
    const used = process.cpuUsage(start);
    if (round > 0) best = Math.min(best, (used.user + used.system) / deliveries);
  }
  return best;
}

const { values } = parseArgs({ options: { provider: { type: 'string', default: 'all' }, deliveries: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '7' } } });
const providers = values.provider === 'all' ? benchProviders : [z.enum(benchProviders).parse(values.provider)];
for (const p of providers) {
  const us = measure(p, z.coerce.number().int().min(100).parse(values.deliveries), z.coerce.number().int().min(1).parse(values.rounds));
  console.log(`${p}: ${us.toFixed(1)} µs of CPU per delivery (lowest round)`);
}
