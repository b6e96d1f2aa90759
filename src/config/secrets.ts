// Which configured values are secrets (issue 8): every value substituted from
// the environment (DESIGN §8 has secrets referenced as `${ENV}`) and every
// credential field whatever its origin, plus the encodings a protocol puts a
// credential on the wire in. Errors, logs, events and audit rows are redacted
// of them (commons/redact.ts adds the URL, form and JSON forms of each).
import type { ExternalAuth, ProjectConfig, SmtpAuthConfig } from './types.js';

/** Shorter environment values are not taken for secrets: redacting "80" or "on" would garble every message. */
export const MIN_ENV_SECRET_LENGTH = 4;

export type SecretsAt = ReadonlyMap<string, readonly string[]>;

const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');

/** Environment values substituted anywhere, or under the dotted path `prefix`. */
export function envSecrets(secretsAt: SecretsAt, prefix?: string): string[] {
  const out: string[] = [];
  for (const [path, values] of secretsAt) {
    if (prefix !== undefined && path !== prefix && !path.startsWith(`${prefix}.`) && !path.startsWith(`${prefix}[`)) continue;
    for (const v of values) if (v.length >= MIN_ENV_SECRET_LENGTH) out.push(v);
  }
  return out;
}

export function externalAuthSecrets(auth: ExternalAuth): string[] {
  if (auth.type === 'apiKey') return [auth.key];
  // As given, and as the Authorization header carries it.
  if (auth.type === 'basic') return [auth.password, b64(`${auth.username}:${auth.password}`)];
  return [];
}

function smtpAuthSecrets(auth: SmtpAuthConfig): string[] {
  if (auth.type === 'OAuth2') return [auth.clientSecret];
  // As given, and as AUTH LOGIN / AUTH PLAIN put it on the wire.
  if (auth.type === 'Basic') return [auth.password, b64(auth.password), b64(`\0${auth.username}\0${auth.password}`)];
  return [];
}

function collect(project: ProjectConfig, secretsAt: SecretsAt): readonly string[] {
  const all = new Set(envSecrets(secretsAt));
  for (const sys of Object.values(project.externalSystems)) {
    for (const s of [...(sys.secrets ?? []), ...externalAuthSecrets(sys.auth)]) all.add(s);
  }
  for (const db of [...Object.values(project.databases), ...Object.values(project.inboundApi.databases)]) if (db.password !== undefined) all.add(db.password);
  if (project.smtp !== undefined) for (const s of smtpAuthSecrets(project.smtp.auth)) all.add(s);
  all.delete('');
  return Object.freeze([...all]);
}

// Kept beside the project rather than in it, so that nothing that copies or
// prints a project (a thread message, a log line) can carry its secrets along.
const registry = new WeakMap<ProjectConfig, readonly string[]>();

export function registerProjectSecrets(project: ProjectConfig, secretsAt: SecretsAt): void {
  registry.set(project, collect(project, secretsAt));
}

/** Every secret of a project; for one not built by the loader, its credential fields. */
export function projectSecrets(project: ProjectConfig): readonly string[] {
  return registry.get(project) ?? collect(project, new Map());
}
