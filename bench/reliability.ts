/**
 * `npm run reliability`: the fault suite's faults (test/faults/scenarios.ts) at a larger volume, in
 * production mode (API and worker processes, PostgreSQL and Redis behind per-run proxies), and the
 * figures in RELIABILITY.md: faults, deliveries, lost, duplicated, time to recover.
 *
 *   npm run reliability                                  every fault, 300 calls each
 *   npm run reliability -- --calls 1000 --only redis-loss,worker-killed
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import setup from '../test/global-setup.js';
import { faults, runFault, type FaultRun } from '../test/faults/scenarios.js';
import { twilioFixture } from '../test/helpers/twilio.js';
import { machineInfo, machineMarkdown } from './machine.js';

const OUTPUT = fileURLToPath(new URL('../RELIABILITY.md', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: 'string' }, only: { type: 'string' } } });
  const calls = z.coerce.number().int().min(1).max(20_000).parse(values.calls ?? '300');
  const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(faults);
  const unknown = names.filter((n) => !(n in faults));
  if (unknown.length) throw new Error(`unknown fault(s): ${unknown.join(', ')} (known: ${Object.keys(faults).join(', ')})`);
  const perCall = twilioFixture('inbound_answered').deliveries.length;
  const teardown = await setup();
  const runs: (FaultRun | { fault: string; error: string })[] = [];
  try {
    for (const name of names) {
      console.error(`reliability: ${name} (${calls} calls)…`);
      try {
        // Generous: the point is to see whether it recovers unaided, and how long it takes.
        runs.push(await runFault(name, calls, 15 * 60_000));
      } catch (err) {
        runs.push({ fault: name, error: (err as Error).message.slice(0, 300) });
      }
      console.error(`reliability: ${JSON.stringify(runs[runs.length - 1])}`);
    }
  } finally {
    await teardown();
  }
  const row = (r: FaultRun | { fault: string; error: string }) =>
    'error' in r
      ? `| ${r.fault} | ${calls * perCall} | — | — | — | — | did not recover: ${r.error.replace(/\|/g, '/')} |`
      : `| ${r.fault} | ${r.calls * perCall} | ${r.lost} | ${r.duplicated} | ${r.outboundLost} / ${r.outboundRedelivered} | ${r.providerRetries} | ${(r.recoverMs / 1000).toFixed(1)} s${r.alive.api && r.alive.worker ? '' : ` (process down: ${JSON.stringify(r.alive)})`} |`;
  const body = [
    '# Reliability',
    '',
    `Written by \`npm run reliability\` on ${new Date().toISOString().slice(0, 10)}: each fault applied once to a fresh hub in`,
    'production mode (one API and one worker process, `src/main.ts`), reaching PostgreSQL and Redis through',
    'proxies of its own, while a provider sends signed Twilio deliveries and retries each until it is',
    `acknowledged (${calls} calls of ${perCall} deliveries each per fault). A CRM subscription receives the`,
    '`call.enriched` webhooks.',
    '',
    '- **lost**: calls whose deliveries were all acknowledged but that are missing or incomplete.',
    '- **duplicated**: extra call rows for one provider call, plus extra inbox rows for one delivery.',
    '- **outbound lost / redelivered**: calls never sent to the CRM / webhooks received again under a',
    '  `webhook-id` already received (allowed: delivery is at least once, receivers dedupe on the id).',
    '- **provider retries**: `503`s and connection errors the provider got, and retried.',
    '- **recovery**: from the end of the load (the fault is over by then) to nothing pending, with no',
    '  manual step; it includes draining the backlog, so compare it with the `none` (baseline) row.',
    '',
    '| fault | deliveries | lost | duplicated | outbound lost / redelivered | provider retries | recovery |',
    '|---|---|---|---|---|---|---|',
    ...runs.map(row),
    '',
    'Faults:',
    '',
    ...Object.keys(faults).map((n) => `- \`${n}\`: ${faults[n]!.describe}${names.includes(n) ? '' : ' (not run this time)'}`),
    '',
    '## Machine',
    '',
    machineMarkdown(await machineInfo()),
    '',
  ].join('\n');
  writeFileSync(OUTPUT, body);
  console.error(`reliability: wrote ${OUTPUT}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
