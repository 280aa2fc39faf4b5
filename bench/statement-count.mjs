/**
 * Counts the SQL statements a hub process sends, by statement (its first words): a preload for the
 * process bench, `NODE_OPTIONS="--import ./bench/statement-count.mjs" STATEMENT_COUNT_DIR=/tmp/x`.
 * Only the worker role counts; it writes `<dir>/worker-<pid>.json` every second and on exit, with
 * the transactions (`begin`) it opened, so statements per batch = statements / begins.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const dir = process.env.STATEMENT_COUNT_DIR;
if (dir && process.argv.includes('worker')) {
  const counts = new Map();
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = typeof config === 'string' ? config : config?.text ?? '';
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.call(this, config, ...rest);
  };
  const dump = () => {
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    const total = sorted.reduce((n, [, c]) => n + c, 0);
    writeFileSync(join(dir, `worker-${process.pid}.json`), JSON.stringify({ total, statements: Object.fromEntries(sorted) }, null, 1));
  };
  setInterval(dump, 1000).unref();
  process.on('exit', dump);
}
