// Issue 11, points 7 and 8: what the Inbound API's records cost a request.
// A call with an Idempotency-Key claims the key before it runs and records
// its answer after (claim + complete: two writes); a retry reads the recorded
// answer back (one claim attempt that finds it: a write attempt and a read).
// A failed call adds one insert into the failure log. Each measured back to
// back against SQLite or the local PostgreSQL; the claim is also measured
// --concurrency at a time (first calls/s).
import { createHash } from 'node:crypto';
import { DatabaseFailureLog, DatabaseIdempotencyStore } from '../../src/central/index.js';
import { scratchCentral } from '../lib/central.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { Samples, summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ engine: 'sqlite', calls: 5_000, concurrency: 16 });

const tmp = scratchDir();
const { repo, drop } = await scratchCentral(opt.engine, tmp.dir);
try {
  const store = new DatabaseIdempotencyStore(repo);
  const log = new DatabaseFailureLog(repo);
  const body = '{"batch":"B-1042","recipe":{"id":7,"steps":[1,2,3]}}';
  const requestSha256 = createHash('sha256').update(body).digest('hex');
  const ref = (i: number, run: string) => ({ keyName: 'mes', method: 'StartBatch', idempotencyKey: `${run}-${i}`, requestSha256 });
  const answer = { status: 200, body: '{"started":true,"batch":"B-1042"}' };

  // Warm up both paths.
  for (let i = 0; i < 500; i++) {
    await store.claim(ref(i, 'warm'), 30_000);
    await store.complete(ref(i, 'warm'), answer);
    await store.claim(ref(i, 'warm'), 30_000);
  }

  const first = new Samples();
  for (let i = 0; i < opt.calls; i++) {
    const t = performance.now();
    const c = await store.claim(ref(i, 'seq'), 30_000);
    if (c.kind !== 'claimed') throw new Error(`expected a claim, got ${c.kind}`);
    await store.complete(ref(i, 'seq'), answer);
    first.push(performance.now() - t);
  }

  const retry = new Samples();
  for (let i = 0; i < opt.calls; i++) {
    const t = performance.now();
    const c = await store.claim(ref(i, 'seq'), 30_000);
    retry.push(performance.now() - t);
    if (c.kind !== 'replay') throw new Error(`expected a replay, got ${c.kind}`);
  }

  const failure = new Samples();
  for (let i = 0; i < opt.calls; i++) {
    const t = performance.now();
    await log.record({ method: 'StartBatch', keyName: 'mes', code: 'SCRIPT_ERROR', message: 'the method script failed', status: 500, atUtc: new Date().toISOString(), durationMs: 3.2, site: null });
    failure.push(performance.now() - t);
  }

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opt.concurrency }, async () => {
      while (next < opt.calls) {
        const i = next++;
        await store.claim(ref(i, 'par'), 30_000);
        await store.complete(ref(i, 'par'), answer);
      }
    }),
  );
  const concurrentSeconds = (performance.now() - started) / 1000;

  const us = (prefix: string, s: ReturnType<typeof summarize>) => ({
    [`${prefix}P50Us`]: s.p50Ms * 1000,
    [`${prefix}P99Us`]: s.p99Ms * 1000,
    [`${prefix}P999Us`]: s.p999Ms * 1000,
  });
  report({
    bench: 'inbound-records',
    options: opt,
    machine: machine(),
    metrics: {
      ...us('claimComplete', summarize(first.values())),
      ...us('replay', summarize(retry.values())),
      ...us('failureRecord', summarize(failure.values())),
      concurrentFirstCallsPerSecond: opt.calls / concurrentSeconds,
    },
    checks: { calls: opt.calls },
  });
} finally {
  await drop();
  tmp.cleanup();
}
