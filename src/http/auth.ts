import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { timingSafeEqual, createHash } from 'node:crypto';
import { UnauthorizedError } from '../lib/errors.js';
import type { TenantRow } from '../db/schema/index.js';

declare module 'express-serve-static-core' {
  interface Request {
    tenant?: TenantRow;
  }
}

function bearer(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1]!.trim() : null;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Whether the request carries the admin token (for optional detail, not for access). */
export function isAdmin(req: Request, adminToken: string): boolean {
  const token = bearer(req);
  return token !== null && sameSecret(token, adminToken);
}

export function requireAdmin(adminToken: string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    if (!token || !sameSecret(token, adminToken)) throw new UnauthorizedError('The admin token is missing or wrong.');
    next();
  };
}

export function requireTenant(findByKey: (apiKey: string) => Promise<TenantRow | null>): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const key = bearer(req);
    if (!key) throw new UnauthorizedError('Send the tenant API key as "Authorization: Bearer <key>".');
    const tenant = await findByKey(key);
    if (!tenant) throw new UnauthorizedError('The API key is not valid.');
    req.tenant = tenant;
    next();
  };
}

/** The tenant of an authenticated request (set by requireTenant). */
export function tenantOf(req: Request): TenantRow {
  if (!req.tenant) throw new UnauthorizedError();
  return req.tenant;
}
