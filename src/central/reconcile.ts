// Reconciliation (central issue, point 6): central pulls the site's tracking
// rows changed since its per-site cursor (the version, DESIGN §4.1), page by
// page, and upserts them under the ingest rule. Lost telemetry heals this way.
import { ScadaLinkError } from '../commons/index.js';
import { type SiteSession, snapshotOf } from '../transport/index.js';
import type { CentralRepository } from './db/index.js';

export const RECONCILE_PAGE = 500;

/** Pulls and applies every row changed since the cursor; resolves with the number of rows applied. */
export async function reconcileSite(repo: CentralRepository, session: SiteSession, pageSize = RECONCILE_PAGE): Promise<number> {
  const site = await repo.site(session.site);
  let cursor = site?.reconcileVersion ?? 0;
  let applied = 0;
  for (;;) {
    const reply = await session.command({ pullTracking: { afterVersion: cursor, limit: pageSize } });
    if (!reply.ok || !reply.trackingPage) {
      throw new ScadaLinkError('RECONCILE_FAILED', `site ${session.site} refused the pull: ${reply.errorCode} ${reply.errorMessage}`);
    }
    const rows = reply.trackingPage.rows.map(snapshotOf);
    const top = rows.reduce((v, r) => Math.max(v, r.version), cursor);
    await repo.reconcile(session.site, rows, top);
    applied += rows.length;
    cursor = top;
    if (!reply.trackingPage.more || rows.length === 0) return applied;
  }
}
