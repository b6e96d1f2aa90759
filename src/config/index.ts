// Public surface of the config component (STYLE §1): load a project directory
// into the resolved, readonly types that every other component reads.

export type {
  RetrySettings,
  ParameterType,
  ParameterDef,
  HttpVerb,
  ExternalMethodConfig,
  ExternalAuth,
  ExternalSystemConfig,
  DatabaseDriver,
  DatabaseConnectionConfig,
  ScriptLanguage,
  ScriptTrigger,
  ScriptConfig,
  AttributeType,
  AttributeValue,
  AttributeConfig,
  AlarmConfig,
  InstanceConfig,
  SharedScriptConfig,
  SiteConfig,
  ProjectConfig,
  SmtpAuthConfig,
  SmtpConfig,
  SmtpTlsMode,
  InboundTypeName,
  InboundTypeDef,
  InboundMethodConfig,
  InboundApiConfig,
} from './types.js';
export { DEFAULT_METHOD_TIMEOUT_MS, MAX_METHOD_TIMEOUT_MS, MAX_METHOD_NAME_LENGTH, INBOUND_TYPE_NAMES } from './schema-inbound.js';
export { MAX_TYPE_DEPTH } from './resolve-inbound.js';
export { instanceSites, loadProject, parseProject, PROJECT_FILE, SCRIPTS_DIR } from './load.js';
export type { ScriptReader } from './resolve.js';
export { parseDuration } from './duration.js';
export { ISSUE_ENV_UNSET, type Issue } from './issues.js';
export { projectSecrets, MIN_ENV_SECRET_LENGTH } from './secrets.js';
export { MICROSOFT_365_SMTP_SCOPE, microsoft365TokenEndpoint } from './smtp-defaults.js';
export { MAX_BUNDLE_BYTES, type ProjectBundle, bundleOf, checkProjectForSites, parseCentralBundle, parseProjectBundle, readProjectBundle } from './bundle.js';
