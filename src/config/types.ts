// The resolved, fully defaulted, readonly project structure (STYLE §6).
// Every component reads configuration only through these types.

export interface RetrySettings {
  readonly maxRetries: number;
  /** Fixed interval between retries, in milliseconds (DESIGN §3.2). */
  readonly retryIntervalMs: number;
}

export type ParameterType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'list';

export interface ParameterDef {
  readonly name: string;
  readonly type: ParameterType;
  readonly required: boolean;
}

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ExternalMethodConfig {
  readonly name: string;
  readonly verb: HttpVerb;
  /** Relative to the system's baseUrl; may contain {param} placeholders. */
  readonly path: string;
  readonly parameters: readonly ParameterDef[];
}

export type ExternalAuth =
  | { readonly type: 'none' }
  | { readonly type: 'apiKey'; readonly header: string; readonly key: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };

export interface ExternalSystemConfig {
  readonly name: string;
  readonly baseUrl: string;
  readonly auth: ExternalAuth;
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  /** Most attempts in flight at once against this system (store-and-forward). */
  readonly maxConcurrency: number;
  readonly methods: Readonly<Record<string, ExternalMethodConfig>>;
  /**
   * Secret values in this definition (from `${ENV}`, and the credentials),
   * which the gateway redacts from what a remote echoes back. The loader sets it.
   */
  readonly secrets?: readonly string[];
}

export type DatabaseDriver = 'postgres' | 'mysql' | 'sqlite';

export interface DatabaseConnectionConfig {
  readonly name: string;
  readonly driver: DatabaseDriver;
  /** postgres/mysql */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly database: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** sqlite: absolute path of the database file; a relative one is resolved against the site's data directory. */
  readonly file: string | undefined;
  readonly poolSize: number;
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly maxConcurrency: number;
}

export type ScriptLanguage = 'js' | 'ts';

export type ScriptTrigger =
  | { readonly type: 'interval'; readonly everyMs: number }
  | { readonly type: 'attributeChange'; readonly attribute: string }
  | { readonly type: 'alarm'; readonly alarm: string }
  | { readonly type: 'call' };

export interface ScriptConfig {
  readonly name: string;
  /** Path of the file, relative to the project's scripts/ folder. */
  readonly file: string;
  /** The file's text, read at load time. */
  readonly source: string;
  readonly language: ScriptLanguage;
  readonly triggers: readonly ScriptTrigger[];
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

export type AttributeType = 'number' | 'string' | 'boolean';
export type AttributeValue = number | string | boolean | null;

export interface AttributeConfig {
  readonly name: string;
  readonly type: AttributeType;
  readonly initial: AttributeValue;
}

/**
 * A limit alarm on a numeric attribute. It becomes active when the value
 * crosses `limit` (above for `high`, below for `low`) and clears only once
 * the value is back past `limit ∓ deadband`.
 */
export interface AlarmConfig {
  readonly name: string;
  readonly attribute: string;
  readonly kind: 'high' | 'low';
  readonly limit: number;
  readonly deadband: number;
}

export interface InstanceConfig {
  readonly code: string;
  readonly site: string;
  readonly attributes: Readonly<Record<string, AttributeConfig>>;
  readonly alarms: Readonly<Record<string, AlarmConfig>>;
  readonly scripts: Readonly<Record<string, ScriptConfig>>;
}

export interface SharedScriptConfig {
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly language: ScriptLanguage;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

export interface SiteConfig {
  readonly name: string;
  readonly description: string;
}

export interface ProjectConfig {
  /** Absolute path of the project directory. */
  readonly dir: string;
  readonly sites: Readonly<Record<string, SiteConfig>>;
  readonly instances: Readonly<Record<string, InstanceConfig>>;
  readonly sharedScripts: Readonly<Record<string, SharedScriptConfig>>;
  readonly externalSystems: Readonly<Record<string, ExternalSystemConfig>>;
  readonly databases: Readonly<Record<string, DatabaseConnectionConfig>>;
  /** Notification lists: list name → recipients (`Notify.To(list)`). */
  readonly notificationLists: Readonly<Record<string, readonly string[]>>;
  /** The SMTP server notifications go through; without it `Notify.To(...).Send` fails with NOTIFICATIONS_NOT_CONFIGURED. */
  readonly smtp?: SmtpConfig;
  /** The methods central's Inbound API serves (`POST /api/{method}`); none when the section is absent. */
  readonly inboundApi: InboundApiConfig;
}

export type InboundTypeName = 'Boolean' | 'Integer' | 'Float' | 'String' | 'Object' | 'List';

/** The declared type of a parameter, an Object field, a List's items or a return value. */
export interface InboundTypeDef {
  readonly type: InboundTypeName;
  /** Parameters, fields and return values: whether the value may be absent or null. List items: always true. */
  readonly required: boolean;
  readonly description?: string;
  /** Object only: its declared fields (no others are accepted). */
  readonly fields?: Readonly<Record<string, InboundTypeDef>>;
  /** List only: the type of every item. */
  readonly items?: InboundTypeDef;
}

export interface InboundMethodConfig {
  readonly name: string;
  readonly description?: string;
  /** Top-level fields of the request body. */
  readonly parameters: Readonly<Record<string, InboundTypeDef>>;
  /** null: the method returns no value. */
  readonly returns: InboundTypeDef | null;
  /** Names of the API keys approved to call the method. */
  readonly apiKeys: readonly string[];
  /** The whole execution, routed calls included. */
  readonly timeoutMs: number;
  /** The implementation script, run at central; its `timeoutMs` is the method's. */
  readonly script: Omit<ScriptConfig, 'name' | 'triggers'>;
}

export interface InboundApiConfig {
  /** Central's databases, for method scripts' `Database.Connection(name)` (not the sites' `databases`). */
  readonly databases: Readonly<Record<string, DatabaseConnectionConfig>>;
  readonly methods: Readonly<Record<string, InboundMethodConfig>>;
}

export type SmtpTlsMode = 'None' | 'StartTLS' | 'SSL';

export type SmtpAuthConfig =
  | { readonly type: 'None' }
  | { readonly type: 'Basic'; readonly username: string; readonly password: string }
  | {
      readonly type: 'OAuth2';
      readonly tenantId: string;
      readonly clientId: string;
      readonly clientSecret: string;
      /** Default: Microsoft 365's, `https://login.microsoftonline.com/<tenantId>/oauth2/v2.0/token`. */
      readonly tokenEndpoint: string;
      readonly scope: string;
    };

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTlsMode;
  readonly auth: SmtpAuthConfig;
  readonly fromAddress: string;
  /** Absolute path of a PEM file to trust for TLS, if any. */
  readonly caFile?: string;
  readonly connectionTimeoutMs: number;
  readonly maxConnections: number;
  readonly retry: RetrySettings;
}
