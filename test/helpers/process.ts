/**
 * A hub process (`src/main.ts api|worker|all`) as production runs it, for tests that kill it, cut
 * its PostgreSQL or Redis, or stop it. Its log lines (pino JSON) are kept for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface HubProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a log line matches (or rejects when the process ends first / after timeoutMs). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startHubProcess(role: 'api' | 'worker' | 'all', env: Record<string, string>): HubProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const onData = (buf: Buffer) => {
    for (const line of buf.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 5000) lines.splice(0, 1000);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  return {
    child,
    lines,
    exited,
    alive: () => exitInfo === null,
    waitForLog(pattern, timeoutMs = 60_000) {
      const found = lines.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then((info) => {
          clearTimeout(timer);
          reject(new Error(`process ended (${JSON.stringify(info)}) before ${pattern}:\n${lines.slice(-20).join('\n')}`));
        });
      });
    },
    async kill(signal = 'SIGKILL') {
      if (exitInfo) return;
      child.kill(signal);
      await exited;
    },
  };
}
