import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScadaLinkError } from '../../commons/index.js';

const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One site node per data directory: two would attempt the same operations,
 * since claims live in each process's memory (DESIGN §3 rule 1). The lock is
 * a file holding the owner's pid; a lock whose process is gone (killed, or
 * crashed) is taken over, so a restart after SIGKILL just works.
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const file = join(dir, 'site.lock');
  mkdirSync(dir, { recursive: true });
  if (held.has(dir)) throw new ScadaLinkError('DATA_DIR_IN_USE', `data directory ${dir} is already used by a site in this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(dir);
      return () => {
        held.delete(dir);
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new ScadaLinkError('DATA_DIR_IN_USE', `data directory ${dir} is in use by process ${owner}`);
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
}
