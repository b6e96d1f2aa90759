// DESIGN §3 rule 3: every attempt of one cached write carries the same
// TrackedOperationId, and the statement can use it to make itself idempotent:
//   INSERT INTO t (op_id, x) VALUES (@TrackedOperationId, @x) ON CONFLICT DO NOTHING
import type { ExecResult, SqlConnection, SqlParams } from './types.js';

/** The reserved named parameter that carries the operation's id. */
export const TRACKED_OPERATION_ID_PARAM = 'TrackedOperationId';

/**
 * Runs a cached write's statement once (the store-and-forward engine owns
 * retries). With named parameters, or none, `@TrackedOperationId` is bound to
 * `trackedOperationId` (it overrides a caller value of that name); a
 * non-empty positional array is passed as given. Throws a classified DeliveryError.
 */
export function executeCachedWrite(
  conn: SqlConnection,
  sql: string,
  params: SqlParams | undefined,
  trackedOperationId: string,
): Promise<ExecResult> {
  // An empty list is what a script sends when it gave no parameters: it binds
  // nothing positionally, so it gets the named @TrackedOperationId like `none`.
  if (Array.isArray(params) && params.length === 0) params = undefined;
  // Arrays, and anything that is not an object (rejected as INVALID_PARAMETERS), go through as given.
  if (Array.isArray(params) || (params !== undefined && (typeof params !== 'object' || params === null))) {
    return conn.execute(sql, params);
  }
  return conn.execute(sql, { ...params, [TRACKED_OPERATION_ID_PARAM]: trackedOperationId });
}
