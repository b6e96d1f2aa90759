// KPIs from SiteCalls, the same on both engines: the engines run two grouped
// queries that each use the (Status, UpdatedAtUtc) index, one over the rows
// still in flight and one over the rows that ended within the interval, and
// this file folds their rows into the KPI shape. A terminal row never changes
// again, so for those rows UpdatedAtUtc is the time they ended.
import type { SiteCallKpis } from './types.js';

export const PENDING_STATUSES = ['Submitted', 'Forwarded', 'Attempted'] as const;
export const OPEN_STATUSES = [...PENDING_STATUSES, 'Parked'] as const;
export const ENDED_STATUSES = ['Delivered', 'Failed'] as const;

/** One row of the in-flight query: per site and status. */
export interface OpenRow {
  readonly site: string;
  readonly status: string;
  readonly n: number;
  readonly oldest: string | null;
  readonly stuck: number;
}

/** One row of the ended query: per site and status. */
export interface EndedRow {
  readonly site: string;
  readonly status: string;
  readonly n: number;
}

const empty = (): { -readonly [K in keyof SiteCallKpis]: SiteCallKpis[K] } => ({
  buffered: 0,
  parked: 0,
  failedLastInterval: 0,
  deliveredLastInterval: 0,
  oldestPendingAgeSeconds: 0,
  stuck: 0,
});

export function foldKpis(
  open: readonly OpenRow[],
  ended: readonly EndedRow[],
  now: Date,
): { global: SiteCallKpis; sites: Record<string, SiteCallKpis> } {
  const global = empty();
  const sites: Record<string, ReturnType<typeof empty>> = {};
  const of = (site: string) => (sites[site] ??= empty());
  const pending: ReadonlySet<string> = new Set(PENDING_STATUSES);
  for (const r of open) {
    for (const k of [global, of(r.site)]) {
      if (r.status === 'Parked') {
        k.parked += r.n;
        continue;
      }
      if (!pending.has(r.status)) continue;
      k.buffered += r.n;
      k.stuck += r.stuck;
      if (r.oldest !== null) {
        const age = Math.max(0, (now.getTime() - Date.parse(r.oldest)) / 1000);
        k.oldestPendingAgeSeconds = Math.max(k.oldestPendingAgeSeconds, age);
      }
    }
  }
  for (const r of ended) {
    for (const k of [global, of(r.site)]) {
      if (r.status === 'Delivered') k.deliveredLastInterval += r.n;
      else if (r.status === 'Failed') k.failedLastInterval += r.n;
    }
  }
  return { global, sites };
}
