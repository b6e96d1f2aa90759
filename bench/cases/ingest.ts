// Central benchmark: telemetry ingest in batches of 500 events (central issue,
// point 12), into SQLite (target >= 50,000 events/s) or PostgreSQL (target >=
// 20,000/s); then the same batches again, all duplicates (target: at least
// half the first rate). Each batch is one dual-write transaction (AuditLog
// insert-if-absent + SiteCalls upsert-if-newer). The events are those of
// operations that each went Submitted -> Forwarded -> Attempted -> Delivered,
// spread over the batches the way a site's outbox sends them.
import {
  type AuditEvent,
  type AuditKind,
  type OperationStatus,
  newTrackedOperationId,
  uuidv7,
} from '../../src/commons/index.js';
import type { CentralRepository } from '../../src/central/index.js';
import { scratchCentral } from '../lib/central.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ engine: 'sqlite', events: 200_000, batch: 500 });

const STEPS: readonly (readonly [AuditKind, OperationStatus])[] = [
  ['CachedSubmit', 'Submitted'],
  ['ApiCallCached', 'Forwarded'],
  ['ApiCallCached', 'Attempted'],
  ['CachedResolve', 'Delivered'],
];

function telemetry(count: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  const t0 = Date.now() - 60_000;
  // Operations interleave the way concurrent calls do: step k of 64 operations, then step k+1.
  for (let n = 0; out.length < count; n += 64) {
    const ids = Array.from({ length: 64 }, () => newTrackedOperationId());
    for (let s = 0; s < STEPS.length; s++) {
      const [kind, status] = STEPS[s]!;
      for (let i = 0; i < ids.length && out.length < count; i++) {
        const at = new Date(t0 + n + s).toISOString();
        out.push({
          eventId: uuidv7(),
          trackedOperationId: ids[i]!,
          kind,
          status,
          channel: 'ApiOutbound',
          target: 'ERP.postOrder',
          occurredAtUtc: at,
          actor: { type: 'script', instance: 'Pump1', script: 'order' },
          sourceNode: 'plant-a@bench',
          error: status === 'Forwarded' ? 'ERP.postOrder: HTTP 503' : null,
          httpStatus: status === 'Delivered' ? 200 : status === 'Submitted' ? null : 503,
          durationMs: status === 'Submitted' ? null : 3.2,
          operation: {
            trackedOperationId: ids[i]!,
            channel: 'ApiOutbound',
            target: 'ERP.postOrder',
            status,
            retryCount: Math.max(0, s - 1),
            lastError: status === 'Forwarded' ? 'ERP.postOrder: HTTP 503' : null,
            httpStatus: status === 'Delivered' ? 200 : null,
            createdAtUtc: new Date(t0 + n).toISOString(),
            updatedAtUtc: at,
            terminalAtUtc: status === 'Delivered' ? at : null,
            sourceInstanceId: 'Pump1',
            sourceScript: 'order',
            sourceNode: 'plant-a@bench',
            version: n * STEPS.length + s * 64 + i + 1,
          },
        });
      }
    }
  }
  return out;
}

async function pass(repo: CentralRepository, batches: readonly AuditEvent[][]): Promise<{ perSecond: number; accepted: number }> {
  let accepted = 0;
  const start = performance.now();
  for (const b of batches) accepted += (await repo.ingest('plant-a', b)).accepted.length;
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: accepted / seconds, accepted };
}

const events = telemetry(opt.events);
const batches: AuditEvent[][] = [];
for (let i = 0; i < events.length; i += opt.batch) batches.push(events.slice(i, i + opt.batch));

const tmp = scratchDir();
const { repo, drop } = await scratchCentral(opt.engine, tmp.dir);

// Warm-up on separate operations so that statements are prepared and caches are warm.
await pass(repo, [telemetry(opt.batch)]);
const first = await pass(repo, batches);
const replay = await pass(repo, batches);
await drop();
tmp.cleanup();

report({
  bench: 'ingest',
  options: opt,
  machine: machine(),
  metrics: {
    eventsPerSecond: first.perSecond,
    replayEventsPerSecond: replay.perSecond,
    replayRatio: replay.perSecond / first.perSecond,
    batchesPerSecond: first.perSecond / opt.batch,
  },
  checks: { accepted: first.accepted, replayAccepted: replay.accepted, expected: events.length },
});
