export type {
  AuditLogRow,
  CentralEngine,
  CentralRepository,
  ConfigReport,
  ConfigRevision,
  IngestResult,
  KpiOptions,
  PurgeResult,
  SiteCallFilter,
  SiteCallKpis,
  SiteCallPage,
  RejectedEvent,
  RejectedRow,
  ReconcileResult,
  SiteCallRow,
  SiteRecord,
  OperatorRole,
  TokenRecord,
  TokenSummary,
  NewToken,
  ConfigSummary,
  OperatorAction,
  OperatorActionFilter,
  CentralAdminStore,
  ApiKeyRecord,
  ApiKeySummary,
  ApiKeyStore,
} from './types.js';
export type {
  IdempotencyAttempt,
  IdempotencyRef,
  IdempotencyRow,
  InboundFailureFilter,
  InboundFailurePage,
  InboundFailureRecord,
  InboundFailureRow,
  InboundPurgeResult,
  InboundRecordStore,
} from './inbound-types.js';
export type { ClusterNode, ClusterStore, SiteSessionRow } from './cluster-types.js';
export type { UiSessionRecord, UiStore, UiUserRecord, UiUserSummary } from './ui-types.js';
export { SqliteCentralRepository } from './sqlite.js';
export { PostgresCentralRepository } from './postgres.js';
export { migratePostgres } from './postgres-schema.js';
export { openCentralRepository, CENTRAL_DB_FILE } from './open.js';
