/**
 * GET /openapi.json, built from the same zod schemas the routes validate with, and GET /docs
 * (Swagger UI served from the swagger-ui-dist package, no CDN).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';

export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  /** Unique, stable: generated clients name their functions after it. */
  operationId: string;
  summary: string;
  tag: string;
  auth: 'admin' | 'tenant' | 'provider' | 'none';
  body?: z.ZodType;
  query?: z.ZodType;
  /** The 2xx body (every operation but a 204 has one). */
  response?: z.ZodType;
  /** Of the 2xx body, when it is not JSON (metrics, pages). */
  contentType?: 'application/json' | 'text/plain' | 'text/html';
  status?: number;
  description?: string;
}

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  try {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  } catch {
    return {};
  }
}

function queryParameters(schema: z.ZodType): unknown[] {
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
}

export function buildOpenApi(operations: Operation[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const ids = new Set<string>();
  for (const op of operations) {
    if (ids.has(op.operationId)) throw new Error(`duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const status = String(op.status ?? (op.method === 'post' ? 201 : 200));
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: op.auth === 'admin' || op.auth === 'tenant' ? [{ [op.auth === 'admin' ? 'adminToken' : 'apiKey']: [] }] : [],
      parameters: [...pathParams, ...(op.query ? queryParameters(op.query) : [])],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses: {
        [status]: {
          description: 'OK',
          ...(op.response ? { content: { [op.contentType ?? 'application/json']: { schema: jsonSchema(op.response, 'output') } } } : {}),
        },
        default: { description: 'Error', content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'callroi',
      version: '0.1.0',
      description: 'What your phone calls are worth: telephony webhooks in, contact-centre KPIs and ROI out.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Tenant API key' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'Platform operator token' },
      },
    },
    paths,
  };
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callroi API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script></body></html>`;

/** The description itself, and its rendering. */
export const docsOperations: Operation[] = [
  { method: 'get', path: '/openapi.json', operationId: 'openApiDocument', tag: 'system', auth: 'none', summary: 'This description (OpenAPI 3.1)', response: z.record(z.string(), z.unknown()) },
  { method: 'get', path: '/docs', operationId: 'apiDocs', tag: 'system', auth: 'none', summary: 'This description, rendered (Swagger UI)', response: z.string(), contentType: 'text/html' },
];

export function docsRoutes(operations: () => Operation[], serverUrl: string): Router {
  const router = Router();
  let cached: unknown = null;
  router.get('/openapi.json', (_req, res) => {
    cached ??= buildOpenApi(operations(), serverUrl);
    res.json(cached);
  });
  const uiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  router.get('/docs/assets/docs-init.js', (_req, res) => {
    res.type('application/javascript').send("window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });");
  });
  router.use('/docs/assets', express.static(uiDir, { index: false }));
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  return router;
}
