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
} from './vocabulary.js';
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
export { guardProcess, registerProcessMetrics } from './process-guard.js';
