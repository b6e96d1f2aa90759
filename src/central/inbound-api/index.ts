// The Inbound API (issue 11): external systems call `POST /api/{method}` with
// an API key. Built so far: the keys (api-keys.ts) and their lifecycle and
// admin routes (api-key-admin.ts); type checking of parameters and return
// values against the method definitions (check.ts), the error table
// (errors.ts), the OpenAPI 3.1 document generated from the definitions;
// the endpoint `POST /api/{method}` (endpoint.ts), central scripts
// (central-scripts.ts), the methods of the newest revision (method-catalog.ts),
// Idempotency-Key handling (idempotency.ts) over the claims in the central
// database (idempotency-store.ts), the failure log with its admin route
// (failure-log.ts) and the endpoint's metrics, assembled by service.ts; and
// Route.To's router to instances at sites (route-to.ts).
export {
  API_KEY_HEADER,
  API_KEY_NAME,
  API_KEY_PREFIX,
  API_KEY_STATUS,
  apiKeyAllows,
  apiKeyHash,
  apiKeyName,
  authenticateApiKey,
  isApiKeyName,
  newApiKey,
  requireApiKeyApproved,
} from './api-keys.js';
export { apiKeyAdminRoutes, apiKeyView, createApiKey, deleteApiKey, setApiKeyDisabled } from './api-key-admin.js';
export { MAX_KEY_SHOWN, MAX_PROBLEMS, type TypeProblem, checkParameters, checkReturn, describeReturnMismatch, describeValue } from './check.js';
export { INBOUND_ERRORS, type InboundErrorBody, type InboundErrorCode, type InboundErrorInfo, inboundErrorStatus, invalidParameters } from './errors.js';
export { API_KEY_SCHEME, type OpenApiInfo, openApiDocument, typeSchema } from './openapi.js';
export {
  DatabaseFailureLog,
  FAILURE_FIELD_LIMITS,
  INBOUND_FAILURE_RETENTION_MS,
  failureQuery,
  failureRecord,
  inboundFailureRoutes,
} from './failure-log.js';
export {
  DatabaseIdempotencyStore,
  IDEMPOTENCY_CLAIM_GRACE_MS,
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_MAX_WAIT_MS,
  IDEMPOTENCY_POLL_MS,
  IDEMPOTENCY_RETENTION_MS,
  type IdempotencyOptions,
  isIdempotencyKey,
} from './idempotency-store.js';
export type { IdempotencyClaim, IdempotencyKeyRef, IdempotencyStore, InboundFailure, InboundFailureLog, RecordedResponse, RouteDeadline, SiteRouter } from './contracts.js';
export { DEFAULT_INBOUND_BODY_LIMIT, type InboundEndpointOptions, inboundApiRoutes } from './endpoint.js';
export { type CentralScriptDeps, MethodFailure, SITE_ONLY_API, runMethod } from './central-scripts.js';
export { type Catalog, MethodCatalog, type MethodCatalogOptions } from './method-catalog.js';
export { IDEMPOTENCY_HEADER, REPLAYED_HEADER, idempotencyKeyOf } from './idempotency.js';
export { type InboundMetrics, UNKNOWN_METHOD_LABEL, inboundMetrics } from './inbound-metrics.js';
export { type InboundApiService, type InboundApiServiceOptions, inboundApiService } from './service.js';
export { MAX_SITE_MESSAGE, type SiteRouterOptions, siteRouter } from './route-to.js';
