export { SqlConnections } from './connections.js';
export type { SqlConnection, SqlTransaction, SqlQueryable, SqlParams, QueryResult, ExecResult } from './types.js';
export { SqlErrorCode, classifySqlError } from './classify.js';
export { executeCachedWrite, TRACKED_OPERATION_ID_PARAM } from './cached-write.js';
