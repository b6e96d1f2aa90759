// Validation at central's end of the site link (issue 8, point 2): every
// telemetry event and every reconciliation row is checked with the commons
// schema as it arrives, before anything else sees it. An invalid item is
// rejected alone, with its id and reason; the rest of its batch or page goes on.
import {
  type AuditEvent,
  type OperationSnapshot,
  TELEMETRY_LIMITS,
  checkAuditEvent,
  checkOperationSnapshot,
} from '../commons/index.js';
import { auditEventOf, snapshotOf } from './convert.js';
import type { AuditEvent__Output } from './generated/scadalink/v1/AuditEvent.js';
import type { OperationSnapshot__Output } from './generated/scadalink/v1/OperationSnapshot.js';
import type { TrackingPage__Output } from './generated/scadalink/v1/TrackingPage.js';

export interface RejectedItem {
  /** The event's eventId (telemetry) or the row's trackedOperationId (reconciliation), as sent, cut short. */
  readonly id: string;
  readonly reason: string;
}

export interface CheckedBatch<T> {
  readonly valid: T[];
  readonly rejected: RejectedItem[];
}

const echo = (id: string | undefined): string => (id ?? '').slice(0, TELEMETRY_LIMITS.echoChars);

/** An IngestRequest's events: the valid ones as commons events, the others with their reasons. */
export function ingestEventsOf(messages: readonly AuditEvent__Output[]): CheckedBatch<AuditEvent> {
  const valid: AuditEvent[] = [];
  const rejected: RejectedItem[] = [];
  for (const m of messages) {
    const checked = checkAuditEvent(auditEventOf(m));
    if (checked.ok) valid.push(checked.value);
    else rejected.push({ id: echo(m.eventId), reason: checked.reason });
  }
  return { valid, rejected };
}

export interface CheckedPage extends CheckedBatch<OperationSnapshot> {
  readonly more: boolean;
  /** Rows in the page, valid or not (a page larger than the pull's limit breaks the rules). */
  readonly size: number;
  /**
   * The highest version in the page that is a safe integer above `after`,
   * invalid rows included: a row that can never be stored must not hold the
   * cursor back, or every later pass would pull it again.
   */
  readonly top: number;
}

/** A PullTracking reply's page. */
export function trackingPageOf(page: TrackingPage__Output, after: number): CheckedPage {
  const valid: OperationSnapshot[] = [];
  const rejected: RejectedItem[] = [];
  let top = after;
  for (const m of page.rows as readonly OperationSnapshot__Output[]) {
    const row = snapshotOf(m);
    if (Number.isSafeInteger(row.version) && row.version > top) top = row.version;
    const checked = checkOperationSnapshot(row);
    if (checked.ok) valid.push(checked.value);
    else rejected.push({ id: echo(m.trackedOperationId), reason: checked.reason });
  }
  return { valid, rejected, more: page.more === true, size: page.rows.length, top };
}
