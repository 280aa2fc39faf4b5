/**
 * First start: an admin token and an encryption key are generated when the environment gives none,
 * printed once, and kept in $DATA_DIR so the next start finds them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateKey } from '../lib/crypto.js';
import type { Logger } from '../lib/logger.js';

export interface Secrets {
  adminToken: string;
  encryptionKey: string;
}

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false };
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

export function loadSecrets(opts: { dataDir: string; adminToken?: string; encryptionKey?: string }, logger: Logger): Secrets {
  let adminToken = opts.adminToken;
  let encryptionKey = opts.encryptionKey;
  if (!adminToken || !encryptionKey) mkdirSync(opts.dataDir, { recursive: true });
  if (!adminToken) {
    const r = readOrCreate(join(opts.dataDir, 'admin-token'), () => `adm_${randomBytes(24).toString('base64url')}`);
    adminToken = r.value;
    if (r.created) {
      // Printed once, on purpose, to stdout (not the log stream): it is the operator's first login.
      process.stdout.write(
        `\n  callroi admin token (shown once, kept in ${join(opts.dataDir, 'admin-token')}):\n\n    ${adminToken}\n\n`,
      );
    }
  }
  if (!encryptionKey) {
    const file = join(opts.dataDir, 'encryption.key');
    const r = readOrCreate(file, generateKey);
    encryptionKey = r.value;
    logger.warn({ file }, 'ENCRYPTION_KEY is not set: using the key kept in the data folder (set ENCRYPTION_KEY in production)');
  }
  return { adminToken, encryptionKey };
}
