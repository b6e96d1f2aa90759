import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A scratch directory for one run's site.db. It must sit on a real disk: on
 * tmpfs fsync is free and the durable figures would be meaningless.
 */
export function scratchDir(base = process.env.BENCH_TMP ?? tmpdir()): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(base, 'scadalink-bench-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
