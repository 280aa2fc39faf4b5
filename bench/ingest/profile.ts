/**
 * A V8 CPU profile (node --cpu-prof) reduced to where the time went: self time per function and per
 * package (node_modules/<package>, node:internal, the project's own files).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      hitCount: z.number().optional(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()).optional(),
});

function packageOf(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const own = /\/(src|connectors|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]!.split('/')[0]}` : url;
}

export function summariseProfile(file: string, top: number): string {
  const profile = profileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const hits = new Map<number, number>();
  // Prefer the sample list (exact); hitCount is the same information when samples are absent.
  if (profile.samples) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  let total = 0;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const n of profile.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (h === 0) continue;
    total += h;
    const f = n.callFrame;
    // Files run through tsx report every function on line 1 (no source map in the profile): no line then.
    const line = f.lineNumber === 0 && f.url.endsWith('.ts') ? '' : `:${f.lineNumber + 1}`;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|src|connectors|bench)\//, '$1/')}${line}` : '';
    const fn = `${f.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + h);
    const pkg = packageOf(f.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + h);
  }
  const share = (h: number) => `${((h / total) * 100).toFixed(1)} %`;
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, h]) => `| ${k.replace(/\|/g, '\\|')} | ${share(h)} |`);
  return [
    '| package | self time |',
    '|---|---:|',
    ...rows(byPackage, 8),
    '',
    '| function | self time |',
    '|---|---:|',
    ...rows(byFunction, top),
  ].join('\n');
}
