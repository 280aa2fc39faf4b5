/**
 * callroi as an operator starts it: `node src/main.ts <role>` in a child process (through tsx), with
 * an environment of our own (nothing inherited that could point it at another database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (a signal counts as null). */
  exited: Promise<number | null>;
}

export function startHub(role: 'all' | 'api' | 'worker', env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Run to the end: for starts that must fail. */
export async function runHub(role: 'all' | 'api' | 'worker', env: Record<string, string>) {
  const h = startHub(role, env);
  const code = await h.exited;
  return { code, stdout: h.stdout(), stderr: h.stderr() };
}

/** Wait until the process prints `text` on stdout; rejects if it exits first. */
export async function waitForOutput(h: Started, text: string): Promise<void> {
  for (;;) {
    if (h.stdout().includes(text)) return;
    const done = await Promise.race([h.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 100))]);
    if (done && !h.stdout().includes(text)) throw new Error(`exited before "${text}": ${h.stderr()}`);
  }
}

export async function stopHub(h: Started): Promise<number | null> {
  if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGTERM');
  return h.exited;
}

/** A local port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
