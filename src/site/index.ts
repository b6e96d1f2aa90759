export { SiteStore } from './store/site-store.js';
export type { SubmitInput, AttemptInfo, FailureOutcome } from './store/store-types.js';
export { TrackingStore, DEFAULT_TRACKING_RETENTION_MS } from './store/tracking.js';
export type { BufferedOperation } from './store/buffer.js';
export { EVENT_CATEGORIES, EVENT_LEVELS, type SiteEvent, type EventQuery, type EventCategory, type EventLevel, type NewSiteEvent } from './store/event-log.js';
export { eventsQuery, parkedQuery } from './node/admin-query.js';
export { SITE_DB_FILE, type SynchronousMode } from './store/database.js';
export {
  StoreAndForwardEngine,
  type DeliveryHandler,
  type DeliveryContext,
  type DeliveryResult,
  type EngineOptions,
  type SubmitRequest,
  type SubmitOutcome,
  type EngineStats,
} from './engine/engine.js';
export { SiteRuntime, type SiteRuntimeOptions } from './runtime/site-runtime.js';
export type { ScriptStats } from './runtime/script-runs.js';
export { DEFAULT_RUN_LIMITS, RunLimitCode, type RunLimits } from './runtime/run-scope.js';
export { startSiteNode, packageVersion, type SiteNode, type SiteNodeOptions } from './node/site-node.js';
export {
  TelemetryForwarder,
  type TelemetrySink,
  type TelemetryAck,
  type ForwarderOptions,
  type ForwarderStats,
} from './telemetry/forwarder.js';
export { siteCommandHandler, type CommandHandler, MAX_PULL_PAGE } from './link/commands.js';
export { Notifications, notificationHandler, NOTIFICATION_TARGET, type NotificationRequest } from './runtime/notify-handler.js';
