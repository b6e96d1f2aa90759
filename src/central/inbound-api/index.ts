// The Inbound API (issue 11): external systems call `POST /api/{method}` with
// an API key. This branch: the keys (api-keys.ts) and their lifecycle and
// admin routes (api-key-admin.ts).
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
