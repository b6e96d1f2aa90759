// Central's Prometheus registry: the SiteCalls KPIs as gauges, per site and for all ('*').
import { Gauge, Registry } from 'prom-client';
import { registerProcessMetrics } from '../commons/index.js';
import type { CentralRepository, SiteCallKpis } from './db/index.js';

export interface KpiSettings {
  /** The "last interval" of the failed/delivered KPIs. */
  readonly intervalMs: number;
  /** Buffered longer than this counts as stuck. */
  readonly stuckAfterMs: number;
}

export function centralMetrics(repo: CentralRepository, kpi: KpiSettings): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const gauges: [keyof SiteCallKpis, string, string][] = [
    ['buffered', 'scadalink_central_site_calls_buffered', 'Operations Submitted, Forwarded or Attempted at the sites, as central knows them.'],
    ['parked', 'scadalink_central_site_calls_parked', 'Parked operations awaiting an operator.'],
    ['failedLastInterval', 'scadalink_central_site_calls_failed_last_interval', 'Operations that failed within the KPI interval.'],
    ['deliveredLastInterval', 'scadalink_central_site_calls_delivered_last_interval', 'Operations delivered within the KPI interval.'],
    ['oldestPendingAgeSeconds', 'scadalink_central_site_calls_oldest_pending_age_seconds', 'Age of the oldest buffered operation.'],
    ['stuck', 'scadalink_central_site_calls_stuck', 'Operations buffered for longer than the stuck threshold.'],
  ];
  let snapshot: Promise<{ global: SiteCallKpis; sites: Readonly<Record<string, SiteCallKpis>> }> | undefined;
  for (const [key, name, help] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['site'],
      registers: [registry],
      async collect() {
        // One query pair per scrape, shared by the six gauges.
        snapshot ??= repo.kpis(kpi).finally(() => setImmediate(() => (snapshot = undefined)));
        const k = await snapshot;
        this.reset();
        this.set({ site: '*' }, k.global[key]);
        for (const [site, v] of Object.entries(k.sites)) this.set({ site }, v[key]);
      },
    });
  }
  return registry;
}
