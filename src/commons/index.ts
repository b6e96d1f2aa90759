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
export { packageRoot } from './paths.js';
export { type Migration, readMigrations, migrate as migrateSqlite, schemaTooNew } from './migrations.js';
export { hashSecret, verifySecret } from './secrets.js';
