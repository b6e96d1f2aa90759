// The administrative half of the central database on SQLite: operator
// tokens, sites, configuration revisions and the audit of operator actions.
import { SqliteInboundStore } from './sqlite-inbound.js';
import type {
  CentralAdminStore,
  ConfigReport,
  ConfigRevision,
  ConfigSummary,
  NewToken,
  OperatorAction,
  OperatorActionFilter,
  SiteRecord,
  TokenRecord,
  TokenSummary,
} from './types.js';

interface TokenDbRow {
  TokenId: string;
  Name: string;
  Role: TokenRecord['role'];
  SecretHash: string;
  CreatedAtUtc: string;
  LastUsedAtUtc: string | null;
  RevokedAtUtc: string | null;
}

interface SiteDbRow {
  Name: string;
  SecretHash: string;
  CreatedAtUtc: string;
  ReconcileVersion: number;
  ConfigRevision: number | null;
  ConfigError: string | null;
  ConfigReportedAtUtc: string | null;
  DisabledAtUtc: string | null;
  LastSeenAtUtc: string | null;
}

interface ConfigDbRow {
  Revision: number;
  ContentSha256: string;
  Content: string;
  CreatedAtUtc: string;
  CreatedBy: string;
  Note: string | null;
}

const now = (): string => new Date().toISOString();

/** Extends the Inbound API's stores (sqlite-inbound.ts, sqlite-api-keys.ts, which holds the database handle). */
export class SqliteAdminStore extends SqliteInboundStore implements CentralAdminStore {
  putToken(t: NewToken): Promise<void> {
    this.db
      .prepare('INSERT INTO Tokens (TokenId, Name, Role, SecretHash, CreatedAtUtc) VALUES (?, ?, ?, ?, ?)')
      .run(t.tokenId, t.name, t.role, t.secretHash, now());
    return Promise.resolve();
  }

  token(tokenId: string): Promise<TokenRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM Tokens WHERE TokenId = ?').get(tokenId) as TokenDbRow | undefined;
    return Promise.resolve(r === undefined ? undefined : { ...tokenSummaryOf(r), secretHash: r.SecretHash });
  }

  tokens(): Promise<TokenSummary[]> {
    const rows = this.db.prepare('SELECT * FROM Tokens ORDER BY CreatedAtUtc, TokenId').all() as TokenDbRow[];
    return Promise.resolve(rows.map(tokenSummaryOf));
  }

  revokeToken(tokenId: string): Promise<boolean> {
    const r = this.db.prepare('UPDATE Tokens SET RevokedAtUtc = ? WHERE TokenId = ? AND RevokedAtUtc IS NULL').run(now(), tokenId);
    return Promise.resolve(r.changes === 1);
  }

  touchToken(tokenId: string, atUtc: string): Promise<void> {
    this.db
      .prepare('UPDATE Tokens SET LastUsedAtUtc = ? WHERE TokenId = ? AND (LastUsedAtUtc IS NULL OR LastUsedAtUtc < ?)')
      .run(atUtc, tokenId, atUtc);
    return Promise.resolve();
  }

  putSite(name: string, secretHash: string): Promise<void> {
    this.db
      .prepare(`INSERT INTO Sites (Name, SecretHash, CreatedAtUtc) VALUES (?, ?, ?)
        ON CONFLICT (Name) DO UPDATE SET SecretHash = excluded.SecretHash`)
      .run(name, secretHash, now());
    return Promise.resolve();
  }

  site(name: string): Promise<SiteRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM Sites WHERE Name = ?').get(name) as SiteDbRow | undefined;
    return Promise.resolve(row === undefined ? undefined : siteOf(row));
  }

  sites(): Promise<SiteRecord[]> {
    return Promise.resolve((this.db.prepare('SELECT * FROM Sites ORDER BY Name').all() as SiteDbRow[]).map(siteOf));
  }

  setSiteDisabled(name: string, disabled: boolean): Promise<boolean> {
    // Disabling a disabled site keeps the time it was first disabled.
    const r = this.db
      .prepare('UPDATE Sites SET DisabledAtUtc = CASE WHEN ? THEN COALESCE(DisabledAtUtc, ?) ELSE NULL END WHERE Name = ?')
      .run(disabled ? 1 : 0, now(), name);
    return Promise.resolve(r.changes === 1);
  }

  removeSite(name: string): Promise<boolean> {
    return Promise.resolve(this.db.prepare('DELETE FROM Sites WHERE Name = ?').run(name).changes === 1);
  }

  seeSites(names: readonly string[], atUtc: string): Promise<void> {
    const see = this.db.prepare('UPDATE Sites SET LastSeenAtUtc = ? WHERE Name = ? AND (LastSeenAtUtc IS NULL OR LastSeenAtUtc < ?)');
    this.db.transaction(() => {
      for (const name of names) see.run(atUtc, name, atUtc);
    })();
    return Promise.resolve();
  }

  putConfig(files: Readonly<Record<string, string>>, sha256: string, createdBy: string, note?: string): Promise<ConfigRevision> {
    const tx = this.db.transaction((): ConfigRevision => {
      const latest = this.#config('ORDER BY Revision DESC LIMIT 1');
      if (latest !== undefined && latest.sha256 === sha256) return latest;
      this.db
        .prepare('INSERT INTO ConfigRevisions (ContentSha256, Content, CreatedAtUtc, CreatedBy, Note) VALUES (?, ?, ?, ?, ?)')
        .run(sha256, JSON.stringify(files), now(), createdBy, note ?? null);
      return this.#config('ORDER BY Revision DESC LIMIT 1')!;
    });
    return Promise.resolve(tx.immediate());
  }

  latestConfig(): Promise<ConfigRevision | undefined> {
    return Promise.resolve(this.#config('ORDER BY Revision DESC LIMIT 1'));
  }

  latestRevision(): Promise<{ revision: number; sha256: string } | undefined> {
    const r = this.db.prepare('SELECT Revision AS revision, ContentSha256 AS sha256 FROM ConfigRevisions ORDER BY Revision DESC LIMIT 1').get() as
      | { revision: number; sha256: string }
      | undefined;
    return Promise.resolve(r);
  }

  config(revision: number): Promise<ConfigRevision | undefined> {
    return Promise.resolve(this.#config('WHERE Revision = ?', revision));
  }

  configs(): Promise<ConfigSummary[]> {
    const rows = this.db
      .prepare('SELECT Revision, ContentSha256, CreatedAtUtc, CreatedBy, Note FROM ConfigRevisions ORDER BY Revision DESC')
      .all() as Omit<ConfigDbRow, 'Content'>[];
    const running = this.db.prepare('SELECT Name, ConfigRevision FROM Sites WHERE ConfigRevision IS NOT NULL ORDER BY Name').all() as {
      Name: string;
      ConfigRevision: number;
    }[];
    return Promise.resolve(
      rows.map((r) => ({
        revision: r.Revision,
        sha256: r.ContentSha256,
        createdAtUtc: r.CreatedAtUtc,
        createdBy: r.CreatedBy,
        note: r.Note,
        sites: running.filter((s) => s.ConfigRevision === r.Revision).map((s) => s.Name),
      })),
    );
  }

  #config(where: string, ...params: unknown[]): ConfigRevision | undefined {
    const r = this.db.prepare(`SELECT * FROM ConfigRevisions ${where}`).get(...params) as ConfigDbRow | undefined;
    return r === undefined
      ? undefined
      : {
          revision: r.Revision,
          sha256: r.ContentSha256,
          files: JSON.parse(r.Content) as Record<string, string>,
          createdAtUtc: r.CreatedAtUtc,
          createdBy: r.CreatedBy,
          note: r.Note,
        };
  }

  reportConfig(site: string, report: ConfigReport): Promise<void> {
    this.db
      .prepare('UPDATE Sites SET ConfigRevision = ?, ConfigError = ?, ConfigReportedAtUtc = ? WHERE Name = ?')
      .run(report.revision, report.error, now(), site);
    return Promise.resolve();
  }

  recordAction(a: Omit<OperatorAction, 'id' | 'atUtc'>): Promise<void> {
    this.db
      .prepare('INSERT INTO OperatorActions (AtUtc, Operator, Action, Target, Detail) VALUES (?, ?, ?, ?, ?)')
      .run(now(), a.operator, a.action, a.target, a.detail);
    return Promise.resolve();
  }

  actions(filter: OperatorActionFilter): Promise<OperatorAction[]> {
    const rows = this.db
      .prepare(`SELECT Id AS id, AtUtc AS atUtc, Operator AS operator, Action AS action, Target AS target, Detail AS detail
        FROM OperatorActions
        WHERE (@action IS NULL OR Action = @action) AND (@target IS NULL OR Target = @target) AND (@before IS NULL OR Id < @before)
        ORDER BY Id DESC LIMIT @limit`)
      .all({ action: filter.action ?? null, target: filter.target ?? null, before: filter.before ?? null, limit: filter.limit }) as OperatorAction[];
    return Promise.resolve(rows);
  }
}

function tokenSummaryOf(r: TokenDbRow): TokenSummary {
  return { tokenId: r.TokenId, name: r.Name, role: r.Role, createdAtUtc: r.CreatedAtUtc, lastUsedAtUtc: r.LastUsedAtUtc, revokedAtUtc: r.RevokedAtUtc };
}

function siteOf(r: SiteDbRow): SiteRecord {
  return {
    name: r.Name,
    secretHash: r.SecretHash,
    createdAtUtc: r.CreatedAtUtc,
    reconcileVersion: r.ReconcileVersion,
    configRevision: r.ConfigRevision,
    configError: r.ConfigError,
    configReportedAtUtc: r.ConfigReportedAtUtc,
    disabledAtUtc: r.DisabledAtUtc,
    lastSeenAtUtc: r.LastSeenAtUtc,
  };
}
