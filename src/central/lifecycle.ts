// Lifecycle of central's tokens, sites and revisions (issue 9, point 5): the
// one implementation behind both the CLI (`scadalink central token|site|
// deployment …`) and the admin API, each action audited in OperatorActions
// with the operator's name (the token's name, or the CLI's --operator).
import { randomBytes } from 'node:crypto';
import { ScadaLinkError, hashSecret } from '../commons/index.js';
import { bundleOf } from '../config/index.js';
import { problemsError, validateBundle } from '../validate/index.js';
import type { CentralRepository, ConfigRevision, OperatorRole, SiteRecord, TokenSummary } from './db/index.js';
import { createToken, findToken, tokenIdOf } from './tokens.js';

/** Site names as `central site add` takes them. */
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const siteNotFound = (name: string): ScadaLinkError =>
  new ScadaLinkError('SITE_NOT_FOUND', `no site ${name.slice(0, 100)} is registered at central`, { details: { site: name.slice(0, 100) } });

export async function audited(repo: CentralRepository, operator: string, action: string, target: string, detail: string | null = null): Promise<void> {
  await repo.recordAction({ operator, action, target, detail });
}

/** Creates a token (audited); returns it with its id. */
export async function addToken(repo: CentralRepository, operator: string, name: string, role: OperatorRole): Promise<{ token: string; tokenId: string }> {
  const token = await createToken(repo, name, role);
  const tokenId = tokenIdOf(token)!;
  await audited(repo, operator, 'token.create', tokenId, `${role} token for ${name}`);
  return { token, tokenId };
}

/** Revokes the token named by id or name (idempotent); returns it as it now is. */
export async function revokeToken(repo: CentralRepository, operator: string, idOrName: string): Promise<{ token: TokenSummary; revoked: boolean }> {
  const found = await findToken(repo, idOrName);
  const revoked = await repo.revokeToken(found.tokenId);
  if (revoked) await audited(repo, operator, 'token.revoke', found.tokenId, `${found.role} token for ${found.name}`);
  return { token: (await repo.tokens()).find((t) => t.tokenId === found.tokenId)!, revoked };
}

/** Registers a site or gives it a new secret; returns the secret (shown once). A disabled site stays disabled. */
export async function addSite(repo: CentralRepository, operator: string, name: string): Promise<string> {
  if (!SITE_NAME.test(name)) throw new ScadaLinkError('INVALID_ARGUMENT', 'a site name is 1-64 letters, digits, dots, dashes or underscores');
  const existed = (await repo.site(name)) !== undefined;
  const secret = randomBytes(24).toString('base64url');
  await repo.putSite(name, await hashSecret(secret));
  await audited(repo, operator, existed ? 'site.rotate-secret' : 'site.add', name);
  return secret;
}

/** Disables (or enables) a site; returns it as it now is. */
export async function setSiteDisabled(repo: CentralRepository, operator: string, name: string, disabled: boolean): Promise<SiteRecord> {
  const before = await repo.site(name);
  if (before === undefined || !(await repo.setSiteDisabled(name, disabled))) throw siteNotFound(name);
  if ((before.disabledAtUtc !== null) !== disabled) await audited(repo, operator, disabled ? 'site.disable' : 'site.enable', name);
  return (await repo.site(name)) ?? before;
}

/** Removes a site's registration; its SiteCalls and AuditLog rows stay. */
export async function removeSite(repo: CentralRepository, operator: string, name: string): Promise<void> {
  if (!(await repo.removeSite(name))) throw siteNotFound(name);
  await audited(repo, operator, 'site.remove', name);
}

export async function configRevision(repo: CentralRepository, revision: number): Promise<ConfigRevision> {
  const config = await repo.config(revision);
  if (config === undefined) {
    throw new ScadaLinkError('REVISION_NOT_FOUND', `central has no configuration revision ${revision}`, { details: { revision } });
  }
  return config;
}

/**
 * Records a new revision whose files are revision N's, noted `rollback of N`
 * (none when the newest revision already has them). Refused with CONFIG_INVALID
 * when N fails the checks a new revision must pass (`scadalink validate`). Central's nodes send it
 * to their sites as they send any new revision.
 */
export async function rollbackTo(repo: CentralRepository, operator: string, revision: number): Promise<{ config: ConfigRevision; created: boolean }> {
  const target = await configRevision(repo, revision);
  // A revision recorded before central checked scripts may hold a broken one: the same checks as a new revision.
  // Relative paths resolve against the working directory; only the names and scripts matter here.
  const problems = await validateBundle(bundleOf(target.files), '.', process.env);
  if (problems.length > 0) throw problemsError(problems);
  const before = await repo.latestConfig();
  const config = await repo.putConfig(target.files, target.sha256, operator, `rollback of ${revision}`);
  const created = config.revision !== before?.revision;
  if (created) await audited(repo, operator, 'deployment.rollback', String(config.revision), `rollback of ${revision}`);
  return { config, created };
}
