// Central's admin route modules, one per area; http.ts mounts them in the admin context.
export { type Operated, operatorOf } from './roles.js';
export { SITE_CALL_STATUS, siteCallRoutes } from './site-calls.js';
export { SITES_TOKENS_STATUS, siteView, sitesAndTokensRoutes } from './sites-tokens.js';
export { DEPLOYMENT_STATUS, deploymentRoutes } from './deployments.js';
