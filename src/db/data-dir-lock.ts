/**
 * One process per embedded database folder. PGlite has no server arbitrating access: two processes
 * opening the same folder both write to it and corrupt it. The first process writes its pid to
 * `<dir>/callroi.lock`; a second one finds a live pid there and refuses to start. A lock left by a
 * process that died (no such pid any more, or our own pid after a container restart) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir} is in use by another callroi process (pid ${pid}); stop it first or give this one another DATA_DIR`);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the folder's lock or throw DataDirLockedError; returns the release function. */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'callroi.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
      // A process that exits without closing the database still frees the folder.
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = Number.NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // Removed between our open and our read: try again.
      }
      if (alive(pid)) throw new DataDirLockedError(dir, pid);
      try {
        unlinkSync(file);
      } catch {
        // Another starting process removed the stale lock first; the next open decides.
      }
    }
  }
  throw new DataDirLockedError(dir, Number.NaN);
}
