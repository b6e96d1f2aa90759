// The Inbound API's failure log (issue 11, point 7): every failed call is
// recorded in the central database (method, key name, code, message, status,
// time, duration, site when routed), queryable through
// `GET /admin/api/inbound-api/failures`; successes are only counted in
// /metrics. Rows are purged by central's daily maintenance after
// --inbound-failure-retention days (default 30).
import type { FastifyInstance } from 'fastify';
import { type Query, onlyParams, queryLimit, queryText, queryTime, queryWhole } from '../../commons/index.js';
import type { InboundFailureFilter, InboundFailureRecord, InboundRecordStore } from '../db/index.js';
import type { InboundFailure, InboundFailureLog } from './contracts.js';

/** Failure rows are kept this long by default (`--inbound-failure-retention`). */
export const INBOUND_FAILURE_RETENTION_MS = 30 * 86_400_000;

/**
 * Longest text kept per field: the method name comes from the URL and the
 * message may quote a caller's input, so a hostile caller cannot make rows of
 * any size. Longer text is cut and ends with `…`.
 */
export const FAILURE_FIELD_LIMITS = { method: 200, keyName: 64, code: 64, message: 2_000, site: 200 } as const;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The row for a failure: fields cut to their limits, the time as UTC ISO (now when it is not a time), a duration ≥ 0. */
export function failureRecord(f: InboundFailure): InboundFailureRecord {
  const at = Date.parse(f.atUtc);
  return {
    method: cut(f.method, FAILURE_FIELD_LIMITS.method),
    keyName: f.keyName === null ? null : cut(f.keyName, FAILURE_FIELD_LIMITS.keyName),
    code: cut(f.code, FAILURE_FIELD_LIMITS.code),
    message: cut(f.message, FAILURE_FIELD_LIMITS.message),
    status: Number.isInteger(f.status) ? f.status : 500,
    atUtc: new Date(Number.isNaN(at) ? Date.now() : at).toISOString(),
    durationMs: Number.isFinite(f.durationMs) && f.durationMs > 0 ? f.durationMs : 0,
    site: f.site === null ? null : cut(f.site, FAILURE_FIELD_LIMITS.site),
  };
}

/**
 * The failure log over the central database. `record` rejects when the
 * database does: the endpoint decides what a lost record costs (it should log
 * it and still answer the caller).
 */
export class DatabaseFailureLog implements InboundFailureLog {
  constructor(private readonly repo: Pick<InboundRecordStore, 'recordInboundFailure'>) {}

  // async: a repository that throws at once (SQLite's insert is synchronous) still rejects, never throws into the answer's path.
  async record(failure: InboundFailure): Promise<void> {
    await this.repo.recordInboundFailure(failureRecord(failure));
  }
}

/** Reads the failure list's filter and page from a query string; a bad value is INVALID_QUERY naming the parameter. */
export function failureQuery(q: Query): { filter: InboundFailureFilter; after?: number; limit: number } {
  onlyParams(q, ['method', 'keyName', 'code', 'site', 'from', 'to', 'after', 'limit']);
  return {
    filter: {
      method: queryText(q, 'method'),
      keyName: queryText(q, 'keyName'),
      code: queryText(q, 'code'),
      site: queryText(q, 'site'),
      from: queryTime(q, 'from'),
      to: queryTime(q, 'to'),
    },
    after: queryWhole(q, 'after'),
    limit: queryLimit(q),
  };
}

/**
 * `GET /inbound-api/failures` in central's admin context (its operator-token
 * hook applies): the Viewer role or above, like the SiteCalls list.
 */
export function inboundFailureRoutes(repo: Pick<InboundRecordStore, 'listInboundFailures'>) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.get<{ Querystring: Query }>('/inbound-api/failures', { config: { role: 'Viewer' as const } }, async (req) => {
      const q = failureQuery(req.query);
      return repo.listInboundFailures(q.filter, { after: q.after, limit: q.limit });
    });
  };
}
