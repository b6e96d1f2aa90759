// The administrative half of the central database's interface (DESIGN §5,
// Central): tokens, sites, configuration revisions and the audit of operator
// actions, with the Inbound API's keys and records (db/sqlite-admin.ts,
// db/postgres-admin.ts). types.ts re-exports these.
import type { InboundRecordStore } from './inbound-types.js';

export interface SiteRecord {
  readonly name: string;
  readonly secretHash: string;
  readonly createdAtUtc: string;
  readonly reconcileVersion: number;
  /** The configuration revision the site last reported running (null: a local project, or not known yet). */
  readonly configRevision: number | null;
  /** Why the site refused the last deployment (null when it took it). */
  readonly configError: string | null;
  readonly configReportedAtUtc: string | null;
  /** When an operator disabled the site (null: enabled). A disabled site cannot connect. */
  readonly disabledAtUtc: string | null;
  /** The last time a central node had the site's stream open or took a batch from it (null: never). */
  readonly lastSeenAtUtc: string | null;
}

/** A project central deploys to its sites (DESIGN §8), as its files. */
export interface ConfigRevision {
  readonly revision: number;
  readonly sha256: string;
  /** Relative path -> text: scadalink.yaml and scripts/... */
  readonly files: Readonly<Record<string, string>>;
  readonly createdAtUtc: string;
  readonly createdBy: string;
  /** Why it was recorded when it is not the project directory, e.g. `rollback of 3` (null otherwise). */
  readonly note: string | null;
}

/** A revision without its files, with the sites that last reported running it. */
export type ConfigSummary = Omit<ConfigRevision, 'files'> & { readonly sites: string[] };

/** What a site reported about its configuration. */
export interface ConfigReport {
  readonly revision: number | null;
  readonly error: string | null;
}

export type OperatorRole = 'Viewer' | 'Deployment' | 'Admin';

/** A token as `token create` stores it. */
export interface NewToken {
  readonly tokenId: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly secretHash: string;
}

export interface TokenRecord extends NewToken {
  readonly createdAtUtc: string;
  /** Recorded at most once a minute per central node (null: never used). */
  readonly lastUsedAtUtc: string | null;
  /** A revoked token is refused from the next request (null: valid). */
  readonly revokedAtUtc: string | null;
}

/** What `token list` shows: never the hash. */
export type TokenSummary = Omit<TokenRecord, 'secretHash'>;

/** One audited operator action (who, what, target, when). */
export interface OperatorAction {
  readonly id: number;
  readonly atUtc: string;
  /** The token's name (admin API) or `--operator`/the OS user (CLI). */
  readonly operator: string;
  /** e.g. `token.revoke`, `site.disable`, `deployment.rollback`. */
  readonly action: string;
  /** The token id, site name or revision the action was on. */
  readonly target: string;
  readonly detail: string | null;
}

export interface OperatorActionFilter {
  readonly action?: string;
  readonly target?: string;
  /** Only actions with a smaller id (keyset paging, newest first). */
  readonly before?: number;
  readonly limit: number;
}

/** An Inbound API key as the database holds it (issue 11, point 2): never the key itself. */
export interface ApiKeyRecord {
  readonly name: string;
  /** Hex SHA-256 of the whole key. */
  readonly keyHash: string;
  readonly createdAtUtc: string;
  /** When an operator disabled it (null: enabled). A disabled key is refused from the next request. */
  readonly disabledAtUtc: string | null;
  /** Recorded at most once a minute per central node (null: never used). */
  readonly lastUsedAtUtc: string | null;
}

/** What `apikey list` shows: never the hash. */
export type ApiKeySummary = Omit<ApiKeyRecord, 'keyHash'>;

/** Inbound API keys (db/sqlite-api-keys.ts, db/postgres-api-keys.ts). */
export interface ApiKeyStore {
  /** Stores a new key; false (nothing written) when a key of that name exists. */
  putApiKey(key: { readonly name: string; readonly keyHash: string }): Promise<boolean>;
  /** The key whose hash this is (one unique-index lookup, read on every Inbound API request). */
  apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  apiKey(name: string): Promise<ApiKeySummary | undefined>;
  /** Every key, by name, without hashes. */
  apiKeys(): Promise<ApiKeySummary[]>;
  /** Disables or enables the key (disabling keeps the first time); false when there is no such key. */
  setApiKeyDisabled(name: string, disabled: boolean): Promise<boolean>;
  /** Deletes the key; false when there was none. */
  deleteApiKey(name: string): Promise<boolean>;
  /** Moves the key's last use forward to `atUtc` (never back). */
  touchApiKey(name: string, atUtc: string): Promise<void>;
}

/**
 * Tokens, sites, configuration revisions and the audit of operator actions:
 * the administrative half of the central database (db/sqlite-admin.ts,
 * db/postgres-admin.ts), with the Inbound API's keys and records.
 */
export interface CentralAdminStore extends ApiKeyStore, InboundRecordStore {
  putToken(token: NewToken): Promise<void>;
  token(tokenId: string): Promise<TokenRecord | undefined>;
  /** Every token, oldest first, without hashes. */
  tokens(): Promise<TokenSummary[]>;
  /** Marks the token revoked; false when it was unknown or revoked already. */
  revokeToken(tokenId: string): Promise<boolean>;
  touchToken(tokenId: string, atUtc: string): Promise<void>;

  /** Creates the site or replaces its secret hash (a disabled site stays disabled). */
  putSite(name: string, secretHash: string): Promise<void>;
  site(name: string): Promise<SiteRecord | undefined>;
  /** Every site, by name. */
  sites(): Promise<SiteRecord[]>;
  /** Disables or enables the site; false when there is no such site. */
  setSiteDisabled(name: string, disabled: boolean): Promise<boolean>;
  /** Deletes the site's registration (its SiteCalls and AuditLog rows stay); false when there was none. */
  removeSite(name: string): Promise<boolean>;
  /** Moves the sites' last-seen time forward to `atUtc` (never back). */
  seeSites(names: readonly string[], atUtc: string): Promise<void>;

  /**
   * Records the files as the newest revision unless they equal the newest one
   * (same sha256); returns the newest revision either way. Serialised, so
   * several nodes starting on one project record it once.
   */
  putConfig(files: Readonly<Record<string, string>>, sha256: string, createdBy: string, note?: string): Promise<ConfigRevision>;
  latestConfig(): Promise<ConfigRevision | undefined>;
  /** The newest revision's number and digest only (polled by every node to notice new revisions). */
  latestRevision(): Promise<{ readonly revision: number; readonly sha256: string } | undefined>;
  config(revision: number): Promise<ConfigRevision | undefined>;
  /** Every revision, newest first, without files. */
  configs(): Promise<ConfigSummary[]>;
  /** Stores what the site reported (on connect, and in answer to a deployment). */
  reportConfig(site: string, report: ConfigReport): Promise<void>;

  recordAction(action: Omit<OperatorAction, 'id' | 'atUtc'>): Promise<void>;
  /** Operator actions, newest first. */
  actions(filter: OperatorActionFilter): Promise<OperatorAction[]>;
}
