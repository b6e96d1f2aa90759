// Turns a batch of audit events into the rows both engines write: validates
// each event with the site-link schema (an invalid one is rejected with its
// reason, never written) and keeps, per operation, only the snapshot with the
// highest version, since one upsert statement cannot touch a row twice.
// Both engines then apply the ownership rule (issue 8, point 3) with ownRows.
import {
  type AuditEvent,
  type OperationSnapshot,
  checkAuditEvent,
  checkOperationSnapshot,
  echoedEventId,
} from '../../commons/index.js';
import type { RejectedEvent, RejectedRow } from './types.js';

const KIND_OF_CHANNEL: Readonly<Record<string, string>> = {
  ApiOutbound: 'ExternalCall',
  DbOutbound: 'DatabaseWrite',
  Notification: 'Notification',
};

export interface IngestRows {
  readonly events: AuditEvent[];
  /** Newest snapshot per operation, in id order (so concurrent batches lock rows in one order). */
  readonly snapshots: OperationSnapshot[];
  readonly rejected: RejectedEvent[];
}

export function seedKind(channel: string): string {
  // Own keys only: the channel was validated, but this must never return Object.prototype's members.
  return Object.hasOwn(KIND_OF_CHANNEL, channel) ? KIND_OF_CHANNEL[channel]! : channel;
}

function newestPerOperation(snapshots: Iterable<OperationSnapshot>): OperationSnapshot[] {
  const newest = new Map<string, OperationSnapshot>();
  for (const op of snapshots) {
    const held = newest.get(op.trackedOperationId);
    if (held === undefined || op.version > held.version) newest.set(op.trackedOperationId, op);
  }
  return [...newest.values()].sort((a, b) => (a.trackedOperationId < b.trackedOperationId ? -1 : 1));
}

export function ingestRows(events: readonly unknown[]): IngestRows {
  const valid: AuditEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  for (const input of events) {
    const checked = checkAuditEvent(input);
    if (!checked.ok) {
      rejected.push({ eventId: echoedEventId(input), reason: checked.reason });
      continue;
    }
    const e = checked.value;
    // The same event twice in one batch is one row; both copies are accepted.
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    valid.push(e);
  }
  const snapshots = newestPerOperation(valid.flatMap((e) => (e.operation === null ? [] : [e.operation])));
  return { events: valid, snapshots, rejected };
}

export interface ReconcileRows {
  readonly rows: OperationSnapshot[];
  readonly rejected: RejectedRow[];
}

export function reconcileRows(rows: readonly unknown[]): ReconcileRows {
  const valid: OperationSnapshot[] = [];
  const rejected: RejectedRow[] = [];
  for (const input of rows) {
    const checked = checkOperationSnapshot(input);
    if (checked.ok) valid.push(checked.value);
    else rejected.push({ trackedOperationId: echoedId(input), reason: checked.reason });
  }
  return { rows: newestPerOperation(valid), rejected };
}

function echoedId(input: unknown): string {
  const id = typeof input === 'object' && input !== null ? (input as { trackedOperationId?: unknown }).trackedOperationId : undefined;
  return typeof id === 'string' ? id.slice(0, 128) : '';
}

export const FOREIGN_OPERATION = 'trackedOperationId belongs to an operation of another site';

/**
 * Issue 8, point 3: an operation belongs to the site whose telemetry created
 * its SiteCalls row. `owners` maps the batch's ids to their SourceSite, read
 * after the batch's upsert (so a row this batch created is the site's own,
 * and on PostgreSQL a concurrent first writer has committed: the upsert
 * waited for its row lock). Events of another site's operation are rejected.
 */
export function ownEvents(
  site: string,
  events: readonly AuditEvent[],
  owners: ReadonlyMap<string, string>,
): { readonly events: AuditEvent[]; readonly rejected: RejectedEvent[] } {
  const own: AuditEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (const e of events) {
    const owner = e.trackedOperationId === null ? site : owners.get(e.trackedOperationId);
    if (owner === site) own.push(e);
    else rejected.push({ eventId: e.eventId, reason: FOREIGN_OPERATION });
  }
  return { events: own, rejected };
}

/** The rows of another site's operations, as rejections (their upsert was already a no-op). */
export function foreignRows(site: string, rows: readonly OperationSnapshot[], owners: ReadonlyMap<string, string>): RejectedRow[] {
  return rows
    .filter((r) => owners.get(r.trackedOperationId) !== site)
    .map((r) => ({ trackedOperationId: r.trackedOperationId, reason: FOREIGN_OPERATION }));
}
