// Issue 11, point 2: what checking an Inbound API key costs, since its row is
// read on every request (so a key disabled on one central replica is refused
// by every replica from its next request). authenticateApiKey = format check,
// SHA-256 of the key, one unique-index lookup, on a table of --keys keys.
// Measured back to back (latency of one check) and --concurrency at a time
// (checks/s), against SQLite or the local PostgreSQL; the SHA-256 alone is
// given for scale.
import { apiKeyHash, authenticateApiKey, createApiKey } from '../../src/central/index.js';
import { scratchCentral } from '../lib/central.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { Samples, summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ engine: 'sqlite', keys: 100, calls: 20_000, concurrency: 16 });

const tmp = scratchDir();
const { repo, drop } = await scratchCentral(opt.engine, tmp.dir);
try {
  const keys: string[] = [];
  for (let i = 0; i < opt.keys; i++) keys.push((await createApiKey(repo, 'bench', `key-${i}`)).key);
  const pick = (i: number): string => keys[i % keys.length]!;
  // Warm up (and write every key's last use, which then waits a minute).
  for (let i = 0; i < Math.max(1_000, opt.keys); i++) await authenticateApiKey(repo, pick(i));

  const hashOnly = new Samples();
  for (let i = 0; i < opt.calls; i++) {
    const t = performance.now();
    apiKeyHash(pick(i));
    hashOnly.push(performance.now() - t);
  }

  const sequential = new Samples();
  for (let i = 0; i < opt.calls; i++) {
    const t = performance.now();
    await authenticateApiKey(repo, pick(i));
    sequential.push(performance.now() - t);
  }

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opt.concurrency }, async () => {
      while (next < opt.calls) await authenticateApiKey(repo, pick(next++));
    }),
  );
  const concurrentSeconds = (performance.now() - started) / 1000;

  const us = (s: ReturnType<typeof summarize>) => ({ p50Us: s.p50Ms * 1000, p99Us: s.p99Ms * 1000, p999Us: s.p999Ms * 1000, maxUs: s.maxMs * 1000 });
  report({
    bench: 'api-key',
    options: opt,
    machine: machine(),
    metrics: {
      ...Object.fromEntries(Object.entries(us(summarize(sequential.values()))).map(([k, v]) => [`check${k[0]!.toUpperCase()}${k.slice(1)}`, v])),
      sha256P50Us: summarize(hashOnly.values()).p50Ms * 1000,
      concurrentChecksPerSecond: opt.calls / concurrentSeconds,
    },
    checks: { keys: opt.keys, calls: opt.calls },
  });
} finally {
  await drop();
  tmp.cleanup();
}
