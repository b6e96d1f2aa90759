export {
  type TrackedOperationId,
  uuidv7,
  newTrackedOperationId,
  isTrackedOperationId,
  parseTrackedOperationId,
} from './ids.js';
export {
  Channel,
  AuditKind,
  OperationStatus,
  type AuditStatus,
  TERMINAL_STATUSES,
  isTerminal,
  ATTEMPT_KIND,
  isChannel,
  isOperationStatus,
  isAuditKind,
} from './vocabulary.js';
export {
  TELEMETRY_LIMITS,
  type Checked,
  instantProblem,
  auditEventSchema,
  operationSnapshotSchema,
  checkAuditEvent,
  checkOperationSnapshot,
  echoedEventId,
} from './telemetry-schema.js';
export {
  type FailureClass,
  type ScadaLinkErrorOptions,
  ScadaLinkError,
  DeliveryError,
  ConfigError,
  OperationFailedError,
  describeError,
} from './errors.js';
export { type Clock, systemClock, isoNow } from './clock.js';
export { type Actor, type OperationSnapshot, type AuditEvent } from './telemetry.js';
export { packageRoot, packageVersion } from './paths.js';
export { type Migration, readMigrations, migrate as migrateSqlite, schemaTooNew } from './migrations.js';
export { hashSecret, verifySecret } from './secrets.js';
export { httpServerOptions, answerErrorsAsJson, jsonDepth, MAX_JSON_DEPTH } from './http-errors.js';
export { type Query, MAX_PAGE, invalidQuery, onlyParams, queryText, queryWhole, queryLimit, queryTime, queryOneOf } from './query.js';
export { ownValue } from './records.js';
export { KeptReads } from './kept-reads.js';
export { type Redactor, REDACTED, NO_REDACTION, createRedactor, secretForms } from './redact.js';
export { guardProcess, registerProcessMetrics } from './process-guard.js';
