// What this central replica did (issue 9, point 6): the Node process, its
// connected sites and when it last heard from each, telemetry batches and
// events by outcome, how late events arrive, and reconciliation runs. Every
// figure here is this process's own; the SiteCalls KPIs (metrics.ts) are the
// cluster's, read from the shared database.
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client';
import { ScadaLinkError } from '../commons/index.js';
import type { IngestOutcome, SiteLinkServer } from '../transport/index.js';

export type ReconcileOutcome = 'ok' | 'skipped' | 'incomplete' | 'violation' | 'failed';

export interface CentralNodeMetrics {
  ingested(outcome: IngestOutcome): void;
  reconciled(outcome: ReconcileOutcome): void;
}

/** The outcome of a reconciliation pass that threw. */
export function reconcileFailure(err: unknown): ReconcileOutcome {
  if (err instanceof ScadaLinkError && err.code === 'RECONCILE_INCOMPLETE') return 'incomplete';
  if (err instanceof ScadaLinkError && err.code === 'RECONCILE_VIOLATION') return 'violation';
  return 'failed';
}

export function centralNodeMetrics(registry: Registry, link: () => SiteLinkServer): CentralNodeMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'scadalink_' });
  new Gauge({
    name: 'scadalink_central_connected_sites',
    help: 'Sites with a live stream to this replica.',
    registers: [registry],
    collect() {
      this.set(link().sites().length);
    },
  });
  new Gauge({
    name: 'scadalink_central_site_last_seen_timestamp_seconds',
    help: 'When this replica last heard from the site (a call, a Hello, a reply), seconds since epoch; sites not heard from since it started are absent.',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [site, at] of link().lastSeen()) this.set({ site }, at / 1000);
    },
  });
  const batches = new Counter({
    name: 'scadalink_central_ingest_batches_total',
    help: 'Telemetry batches from authenticated sites, by outcome: stored, failed (the database did not take it; the site resends), refused (it claimed another site).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'scadalink_central_ingest_events_total',
    help: 'Telemetry events, by outcome: accepted (new or already stored), rejected (invalid, or of another site), failed (in a batch not stored).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'scadalink_central_ingest_lag_seconds',
    help: 'From an accepted event occurring at its site to this replica storing it.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
    registers: [registry],
  });
  const reconciles = new Counter({
    name: 'scadalink_central_reconcile_runs_total',
    help: 'Reconciliation passes this replica started, by outcome: ok, skipped (another replica was reconciling the site), incomplete, violation, failed.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['stored', 'failed', 'refused']) batches.inc({ outcome }, 0);
  for (const outcome of ['accepted', 'rejected', 'failed']) events.inc({ outcome }, 0);
  for (const outcome of ['ok', 'skipped', 'incomplete', 'violation', 'failed']) reconciles.inc({ outcome }, 0);
  return {
    ingested(o) {
      batches.inc({ outcome: o.outcome });
      if (o.outcome !== 'stored') {
        events.inc({ outcome: o.outcome === 'failed' ? 'failed' : 'rejected' }, o.received);
        return;
      }
      events.inc({ outcome: 'accepted' }, o.accepted.length);
      events.inc({ outcome: 'rejected' }, o.rejected);
      const accepted = new Set(o.accepted);
      const now = Date.now();
      for (const e of o.events) {
        if (accepted.has(e.eventId)) lag.observe(Math.max(0, (now - Date.parse(e.occurredAtUtc)) / 1000));
      }
    },
    reconciled(outcome) {
      reconciles.inc({ outcome });
    },
  };
}
