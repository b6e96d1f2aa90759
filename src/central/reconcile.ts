// Reconciliation (central issue, point 6): central pulls the site's tracking
// rows changed since its per-site cursor (the version, DESIGN §4.1), page by
// page, and upserts them under the ingest rule. Lost telemetry heals this way.
//
// A pass is bounded (issue 8, point 4), because a buggy or hostile site
// decides what it answers: a page holds at most the rows asked for, each page
// moves the cursor forward, and a pass stops after RECONCILE_LIMITS.maxPages
// pages or budgetMs (RECONCILE_INCOMPLETE). A site that breaks a rule fails
// the pass with RECONCILE_VIOLATION. The caller logs either with the site;
// the site is reconciled again at the next interval or connect, from the
// cursor stored so far, never at once.
import type { Logger } from 'pino';
import { ScadaLinkError } from '../commons/index.js';
import { type SiteSession, trackingPageOf } from '../transport/index.js';
import type { CentralRepository } from './db/index.js';

export const RECONCILE_PAGE = 500;

export interface ReconcileLimits {
  /** Rows asked for per pull. */
  readonly pageSize: number;
  /** Pulls per pass; a backlog beyond pageSize × maxPages continues at the next pass. */
  readonly maxPages: number;
  /** Wall time of a pass; checked before each pull. */
  readonly budgetMs: number;
}

export const RECONCILE_LIMITS: ReconcileLimits = { pageSize: RECONCILE_PAGE, maxPages: 200, budgetMs: 60_000 };

export interface ReconcileOptions extends Partial<ReconcileLimits> {
  /** Where rows central refused are reported (warn, with the site). */
  readonly logger?: Logger;
}

function violation(site: string, reason: string, rows: number): ScadaLinkError {
  return new ScadaLinkError('RECONCILE_VIOLATION', `site ${site} broke the reconciliation rules: ${reason}; it is reconciled again later`, {
    details: { site, reason, rowsApplied: rows },
  });
}

function incomplete(site: string, reason: string, rows: number): ScadaLinkError {
  return new ScadaLinkError('RECONCILE_INCOMPLETE', `reconciliation of site ${site} stopped after ${reason}; it continues at the next pass`, {
    details: { site, reason, rowsApplied: rows },
  });
}

/** Pulls and applies every row changed since the cursor, within the limits; resolves with the number of rows applied. */
export async function reconcileSite(repo: CentralRepository, session: SiteSession, options: ReconcileOptions = {}): Promise<number> {
  const { pageSize, maxPages, budgetMs } = { ...RECONCILE_LIMITS, ...options };
  const site = session.site;
  const started = Date.now();
  let cursor = (await repo.site(site))?.reconcileVersion ?? 0;
  let applied = 0;
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) throw incomplete(site, `${maxPages} pages`, applied);
    if (Date.now() - started > budgetMs) throw incomplete(site, `${budgetMs} ms`, applied);
    const reply = await session.command({ pullTracking: { afterVersion: cursor, limit: pageSize } });
    // A site waiting for its first deployment runs nothing, so it has nothing to reconcile yet.
    if (!reply.ok && reply.errorCode === 'NOT_DEPLOYED') return applied;
    if (!reply.ok || !reply.trackingPage) {
      throw new ScadaLinkError('RECONCILE_FAILED', `site ${site} refused the pull: ${reply.errorCode} ${reply.errorMessage}`);
    }
    const page = trackingPageOf(reply.trackingPage, cursor);
    if (page.size > pageSize) throw violation(site, `it answered ${page.size} rows to a pull of at most ${pageSize}`, applied);
    if (page.more && page.top <= cursor) throw violation(site, `a page with more=true did not move the cursor past ${cursor}`, applied);
    const result = await repo.reconcile(site, page.valid, page.top);
    applied += result.applied;
    const refused = [...page.rejected.map((r) => ({ trackedOperationId: r.id, reason: r.reason })), ...result.rejected];
    if (refused.length > 0) {
      options.logger?.warn({ site, rejected: refused.length, first: refused.slice(0, 5) }, 'reconciliation rows refused');
    }
    cursor = page.top;
    if (!page.more) return applied;
  }
}
