/**
 * `npm run bench`: runs the benchmark sections in order and writes BENCHMARKS.md with the date, the
 * machine and each section. Everything runs on loopback, bounded in requests and time.
 *
 *   npm run bench                          every section
 *   npm run bench -- --only ingest         one section (others kept from the previous BENCHMARKS.md)
 *   npm run bench -- --only ingest,kpis
 *   npm run bench -- --seconds 5 --warmup 1 --no-workers --profile --runs ceiling1,hub-twilio   (ingest options)
 *   (--profile profiles the measured windows; without it, ceiling 2 and the hub are profiled afterwards in
 *   separate 5 s windows for the "where the accept time goes" tables; --no-hot-spots skips them)
 *
 * Sections other than ingest (bench/kpis.ts, bench/roi.ts) are optional: each exports
 * `async function run(): Promise<string>` returning a markdown section, and runs when its file exists.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { run as runIngest, type IngestOptions } from './ingest.js';
import { machineInfo, machineMarkdown } from './machine.js';

const SECTIONS = ['ingest', 'process', 'kpis', 'roi', 'alerts'] as const;
type Section = (typeof SECTIONS)[number];

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const START = (s: string) => `<!-- section:${s} -->`;
const END = (s: string) => `<!-- /section:${s} -->`;

const sectionModule = z.object({ run: z.function() });

/** kpis.ts / roi.ts are written by others and may not exist yet: loaded by path, not by import. */
async function optionalSection(name: Section): Promise<string | null> {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(file)) return null;
  const mod = sectionModule.parse(await import(pathToFileURL(file).href));
  const out: unknown = await mod.run();
  return z.string().parse(out);
}

/** Sections of an earlier BENCHMARKS.md, so that `--only` replaces just the ones it runs. */
function previousSections(): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(OUTPUT)) return out;
  const text = readFileSync(OUTPUT, 'utf8');
  for (const s of SECTIONS) {
    const a = text.indexOf(START(s));
    const b = text.indexOf(END(s));
    if (a >= 0 && b > a) out.set(s, text.slice(a + START(s).length, b).trim());
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      'max-requests': { type: 'string' },
      'no-workers': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-hot-spots': { type: 'boolean', default: false },
      runs: { type: 'string' },
    },
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS];
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown section(s): ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);

  const seconds = (v: string | undefined) => (v === undefined ? undefined : z.coerce.number().positive().max(120).parse(v) * 1000);
  const ingestOptions: Partial<IngestOptions> = {
    ...(seconds(values.seconds) !== undefined ? { durationMs: seconds(values.seconds)! } : {}),
    ...(seconds(values.warmup) !== undefined ? { warmupMs: seconds(values.warmup)! } : {}),
    ...(values['max-requests'] ? { maxRequests: z.coerce.number().int().min(1000).max(1_000_000).parse(values['max-requests']) } : {}),
    withWorkers: !values['no-workers'],
    profile: values.profile,
    hotSpots: !values['no-hot-spots'],
    runs: values.runs ? values.runs.split(',').map((s) => s.trim()) : [],
  };

  const machine = await machineInfo();
  const sections = previousSections();
  const ranNow: string[] = [];
  for (const name of SECTIONS) {
    if (!only.includes(name)) continue;
    console.error(`bench: ${name}`);
    const text = name === 'ingest' ? await runIngest(ingestOptions) : await optionalSection(name);
    if (text === null) {
      console.error(`bench: ${name}: bench/${name}.ts does not exist, skipped`);
      continue;
    }
    sections.set(name, text.trim());
    ranNow.push(name);
  }

  const date = new Date().toISOString();
  const body = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${date} (sections run this time: ${ranNow.join(', ') || 'none'}${
      [...sections.keys()].some((k) => !ranNow.includes(k)) ? '; the others are kept from an earlier run' : ''
    }).`,
    '',
    '## Machine',
    '',
    machineMarkdown(machine),
    '',
    ...SECTIONS.filter((s) => sections.has(s)).flatMap((s) => [START(s), sections.get(s)!, END(s), '']),
  ].join('\n');
  writeFileSync(OUTPUT, body);
  console.error(`bench: wrote ${OUTPUT}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
