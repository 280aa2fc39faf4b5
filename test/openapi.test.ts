/**
 * GET /openapi.json is good enough to generate a client from: every operation has an operationId and
 * its 2xx response schema, and a client typed by openapi-typescript's output compiles (tsc) a script
 * that calls every route and reads the fields users need (webhookUrl, apiKey, health, …).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './helpers/hub.js';

type Doc = { paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> };

let hub: TestHub;
let doc: Doc;
const script = fileURLToPath(new URL('./openapi/every-route.ts.txt', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

beforeAll(async () => {
  hub = await createTestHub({ workers: false });
  const res = await hub.api.get('/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Doc;
});
afterAll(async () => {
  await hub?.close();
});

function operations() {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
}

describe('GET /openapi.json', () => {
  it('gives every operation a unique operationId and every 2xx (but 204) its response schema', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(50);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = ops
      .filter(({ op }) => {
        const [status, response] = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
        return status !== '204' && !Object.values(response.content ?? {}).some((c) => c.schema && Object.keys(c.schema).length > 0);
      })
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('generates a typed client (openapi-typescript) that compiles a script calling every route', async () => {
    const source = readFileSync(script, 'utf8');
    const called = new Set([...source.matchAll(/call\('(\w+)', '([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`));
    const uncalled = operations()
      .map(({ method, path }) => `${method} ${path}`)
      .filter((o) => !called.has(o));
    expect(uncalled).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'callroi-openapi-'));
    try {
      writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc as never)));
      copyFileSync(script, join(dir, 'every-route.ts'));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
          files: ['every-route.ts'],
        }),
      );
      const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
