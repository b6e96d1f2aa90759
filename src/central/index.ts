export {
  type AuditLogRow,
  type CentralEngine,
  type CentralRepository,
  type ConfigReport,
  type ConfigRevision,
  type IngestResult,
  type KpiOptions,
  type PurgeResult,
  type SiteCallFilter,
  type SiteCallKpis,
  type SiteCallPage,
  type RejectedEvent,
  type RejectedRow,
  type ReconcileResult,
  type SiteCallRow,
  type SiteRecord,
  type OperatorRole,
  type TokenRecord,
  type TokenSummary,
  type NewToken,
  type ConfigSummary,
  type OperatorAction,
  type OperatorActionFilter,
  type CentralAdminStore,
  type ApiKeyRecord,
  type ApiKeySummary,
  type ApiKeyStore,
  SqliteCentralRepository,
  PostgresCentralRepository,
  migratePostgres,
  openCentralRepository,
  CENTRAL_DB_FILE,
} from './db/index.js';
export { directSink, type DirectSink } from './ingest.js';
export { reconcileSite, RECONCILE_PAGE, RECONCILE_LIMITS, type ReconcileLimits, type ReconcileOptions } from './reconcile.js';
export { startCentralNode, type CentralNode, type CentralNodeOptions } from './node.js';
export { createToken, findToken, tokenIdOf, TokenVerifier, ROLES, isRole, roleAllows } from './tokens.js';
export { siteSecrets } from './site-auth.js';
export { Deployer, DEPLOY_TIMEOUT_MS, type SiteDeployment } from './deploy.js';
export { SITE_NAME, addSite, addToken, audited, configRevision, removeSite, revokeToken, rollbackTo, setSiteDisabled } from './lifecycle.js';
export { siteView } from './routes/index.js';
export {
  API_KEY_HEADER,
  API_KEY_NAME,
  API_KEY_PREFIX,
  API_KEY_STATUS,
  apiKeyAdminRoutes,
  apiKeyAllows,
  apiKeyHash,
  apiKeyName,
  apiKeyView,
  authenticateApiKey,
  createApiKey,
  deleteApiKey,
  isApiKeyName,
  newApiKey,
  requireApiKeyApproved,
  setApiKeyDisabled,
} from './inbound-api/index.js';
export {
  CLUSTER_SECRET_HEADER,
  INTERNAL_COMMAND_PATH,
  type CommandOptions,
  type ForwardOutcome,
  type SiteCommander,
  clusterCommander,
  localCommander,
} from './site-commands/index.js';
