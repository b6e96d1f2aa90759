// Second phase of loading: cross-references between sections, script files,
// and the final fully defaulted, deeply frozen ProjectConfig (STYLE §6).

import { isAbsolute, posix, resolve } from 'node:path';
import type { Issue } from './issues.js';
import { resolveInboundMethods } from './resolve-inbound.js';
import { type SecretsAt, envSecrets, externalAuthSecrets } from './secrets.js';
import { microsoft365TokenEndpoint } from './smtp-defaults.js';
import type { DatabaseInput, ProjectInput, ScriptInput, SharedScriptInput } from './schema.js';
import type {
  DatabaseConnectionConfig,
  InstanceConfig,
  RetrySettings,
  SmtpAuthConfig,
  SmtpConfig,
  ProjectConfig,
  ScriptConfig,
  ScriptLanguage,
  ScriptTrigger,
  SharedScriptConfig,
} from './types.js';

/** Returns a script's text by its path relative to scripts/, or undefined if there is no such file. */
export type ScriptReader = (relPath: string) => string | undefined;

interface Context {
  readonly dir: string;
  /** The site's data directory: a relative SQLite `file` resolves against it. */
  readonly dataDir: string;
  readonly readScript: ScriptReader;
  /** Paths whose value came from the environment: a message must not show it. */
  readonly fromEnv: ReadonlySet<string>;
  readonly secretsAt: SecretsAt;
  readonly issues: Issue[];
}

function report(ctx: Context, path: string, message: string): void {
  ctx.issues.push({ path, message });
}

/** Names the offending value unless it was substituted from the environment. */
function shown(ctx: Context, path: string, value: string): string {
  return ctx.fromEnv.has(path) ? '(from environment)' : value;
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, fn: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value, key)]));
}

function languageOf(file: string, explicit: ScriptLanguage | undefined): ScriptLanguage | undefined {
  if (explicit) return explicit;
  if (file.endsWith('.ts')) return 'ts';
  if (file.endsWith('.js')) return 'js';
  return undefined;
}

type ScriptFile = Pick<ScriptConfig, 'file' | 'source' | 'language' | 'timeoutMs' | 'memoryMb'>;

function loadScript(ctx: Context, path: string, raw: Pick<ScriptInput | SharedScriptInput, 'file' | 'language' | 'timeout' | 'memoryMb'>): ScriptFile {
  const base = { file: raw.file, source: '', language: 'js' as ScriptLanguage, timeoutMs: raw.timeout, memoryMb: raw.memoryMb };
  const where = `${path}.file`;
  const rel = posix.normalize(raw.file.replaceAll('\\', '/'));
  if (isAbsolute(raw.file) || rel.startsWith('../') || rel === '..') {
    report(ctx, where, 'must be a path inside scripts/');
    return base;
  }
  const language = languageOf(rel, raw.language);
  if (!language) report(ctx, where, 'cannot tell the language from the extension: use .js or .ts, or set language');
  let source: string | undefined;
  try {
    source = ctx.readScript(rel);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      report(ctx, where, `cannot read file: scripts/${shown(ctx, where, rel)} (${code ?? 'error'})`);
      return base;
    }
  }
  if (source === undefined) report(ctx, where, `file not found: scripts/${shown(ctx, where, rel)}`);
  return { ...base, file: rel, source: source ?? '', language: language ?? 'js' };
}

function resolveTrigger(ctx: Context, path: string, raw: ScriptInput['triggers'][number], names: {
  attributes: Readonly<Record<string, unknown>>;
  alarms: Readonly<Record<string, unknown>>;
}): ScriptTrigger {
  if (raw === 'call') return { type: 'call' };
  if ('interval' in raw) return { type: 'interval', everyMs: raw.interval };
  if ('attributeChange' in raw) {
    const where = `${path}.attributeChange`;
    if (!Object.hasOwn(names.attributes, raw.attributeChange)) {
      report(ctx, where, `attribute ${shown(ctx, where, raw.attributeChange)} is not defined on this instance`);
    }
    return { type: 'attributeChange', attribute: raw.attributeChange };
  }
  const where = `${path}.alarm`;
  if (!Object.hasOwn(names.alarms, raw.alarm)) {
    report(ctx, where, `alarm ${shown(ctx, where, raw.alarm)} is not defined on this instance`);
  }
  return { type: 'alarm', alarm: raw.alarm };
}

function resolveInstance(ctx: Context, project: ProjectInput, code: string): InstanceConfig {
  const raw = project.instances[code]!;
  const path = `instances.${code}`;
  if (!Object.hasOwn(project.sites, raw.site)) {
    report(ctx, `${path}.site`, `site ${shown(ctx, `${path}.site`, raw.site)} is not defined in sites`);
  }
  const alarms = mapValues(raw.alarms, (alarm, name) => {
    const where = `${path}.alarms.${name}.attribute`;
    const attribute = raw.attributes[alarm.attribute];
    if (!Object.hasOwn(raw.attributes, alarm.attribute) || !attribute) {
      report(ctx, where, `attribute ${shown(ctx, where, alarm.attribute)} is not defined on this instance`);
    } else if (attribute.type !== 'number') {
      report(ctx, where, `attribute ${shown(ctx, where, alarm.attribute)} is not numeric (type ${attribute.type})`);
    }
    return { name, ...alarm };
  });
  const scripts = mapValues(raw.scripts, (script, name): ScriptConfig => {
    const where = `${path}.scripts.${name}`;
    const triggers = script.triggers.map((t, i) => resolveTrigger(ctx, `${where}.triggers[${i}]`, t, raw));
    return { name, ...loadScript(ctx, where, script), triggers };
  });
  return {
    code,
    site: raw.site,
    attributes: mapValues(raw.attributes, (attribute, name) => ({ name, ...attribute })),
    alarms,
    scripts,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Builds the resolved project; problems are appended to `issues` and the result is then unusable. */
export function resolveProject(project: ProjectInput, ctx: Context): ProjectConfig {
  const retry = (r: { maxRetries: number; retryInterval: number }) => ({ maxRetries: r.maxRetries, retryIntervalMs: r.retryInterval });
  return deepFreeze({
    dir: ctx.dir,
    sites: mapValues(project.sites, (site, name) => ({ name, description: site.description })),
    instances: mapValues(project.instances, (_, code) => resolveInstance(ctx, project, code)),
    sharedScripts: mapValues(project.sharedScripts, (s, name): SharedScriptConfig => ({
      name,
      ...loadScript(ctx, `sharedScripts.${name}`, s),
    })),
    externalSystems: mapValues(project.externalSystems, (s, name) => ({
      name,
      baseUrl: s.baseUrl,
      auth: s.auth,
      timeoutMs: s.timeout,
      retry: retry(s),
      maxConcurrency: s.maxConcurrency,
      methods: mapValues(s.methods, (m, methodName) => ({
        name: methodName,
        verb: m.verb,
        path: m.path,
        parameters: Object.entries(m.parameters).map(([param, p]) => ({ name: param, ...p })),
      })),
      secrets: [...new Set([...envSecrets(ctx.secretsAt, `externalSystems.${name}`), ...externalAuthSecrets(s.auth)])].filter((v) => v !== ''),
    })),
    databases: resolveDatabases(ctx, project.databases),
    notificationLists: project.notificationLists,
    smtp: project.smtp === undefined ? undefined : resolveSmtp(ctx, project.smtp, retry(project.smtp)),
    inboundApi: {
      // Central's own: a relative SQLite file resolves against central's data directory.
      databases: resolveDatabases(ctx, project.inboundApi.databases),
      methods: resolveInboundMethods({ report: (path, message) => report(ctx, path, message), loadScript: (path, raw) => loadScript(ctx, path, raw) }, project.inboundApi.methods),
    },
  });
}

function resolveDatabases(ctx: Context, dbs: Readonly<Record<string, DatabaseInput>>): Record<string, DatabaseConnectionConfig> {
  return mapValues(dbs, (d, name) => ({
    name,
    driver: d.driver,
    host: d.host,
    port: d.port,
    database: d.database,
    user: d.user,
    password: d.password,
    file: d.file === undefined ? undefined : resolve(ctx.dataDir, d.file),
    poolSize: d.poolSize,
    timeoutMs: d.timeout,
    retry: { maxRetries: d.maxRetries, retryIntervalMs: d.retryInterval },
    maxConcurrency: d.maxConcurrency,
  }));
}

function resolveSmtp(ctx: Context, s: NonNullable<ProjectInput['smtp']>, retry: RetrySettings): SmtpConfig {
  const auth: SmtpAuthConfig =
    s.auth.type === 'OAuth2'
      ? {
          ...s.auth,
          tokenEndpoint: s.auth.tokenEndpoint ?? microsoft365TokenEndpoint(s.auth.tenantId),
        }
      : s.auth;
  return {
    host: s.host,
    port: s.port,
    tls: s.tls,
    auth,
    fromAddress: s.fromAddress,
    caFile: s.caFile === undefined ? undefined : resolve(ctx.dir, s.caFile),
    connectionTimeoutMs: s.connectionTimeout,
    maxConnections: s.maxConnections,
    retry,
  };
}
