// The administrative half of the central database on PostgreSQL: operator
// tokens, sites, configuration revisions and the audit of operator actions.
import type pg from 'pg';
import { inTransaction } from './pg-connection.js';
import { PostgresInboundStore } from './postgres-inbound.js';
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

/** Serialises recording a configuration revision across central nodes. */
const CONFIG_LOCK = 7_305_002;

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

interface PgToken {
  token_id: string;
  name: string;
  role: TokenRecord['role'];
  secret_hash: string;
  created_at_utc: Date;
  last_used_at_utc: Date | null;
  revoked_at_utc: Date | null;
}

interface PgSite {
  name: string;
  secret_hash: string;
  created_at_utc: Date;
  reconcile_version: string;
  config_revision: string | null;
  config_error: string | null;
  config_reported_at_utc: Date | null;
  disabled_at_utc: Date | null;
  last_seen_at_utc: Date | null;
}

interface PgConfig {
  revision: string;
  content_sha256: string;
  content: Record<string, string>;
  created_at_utc: Date;
  created_by: string;
  note: string | null;
}

/** Extends the Inbound API's stores (postgres-inbound.ts, postgres-api-keys.ts, which holds the pool). */
export class PostgresAdminStore extends PostgresInboundStore implements CentralAdminStore {
  async putToken(t: NewToken): Promise<void> {
    await this.pool.query('INSERT INTO tokens (token_id, name, role, secret_hash, created_at_utc) VALUES ($1, $2, $3, $4, now())', [
      t.tokenId,
      t.name,
      t.role,
      t.secretHash,
    ]);
  }

  async token(tokenId: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.pool.query<PgToken>('SELECT * FROM tokens WHERE token_id = $1', [tokenId]);
    const r = rows[0];
    return r === undefined ? undefined : { ...tokenSummaryOf(r), secretHash: r.secret_hash };
  }

  async tokens(): Promise<TokenSummary[]> {
    const { rows } = await this.pool.query<PgToken>('SELECT * FROM tokens ORDER BY created_at_utc, token_id');
    return rows.map(tokenSummaryOf);
  }

  async revokeToken(tokenId: string): Promise<boolean> {
    const r = await this.pool.query('UPDATE tokens SET revoked_at_utc = now() WHERE token_id = $1 AND revoked_at_utc IS NULL', [tokenId]);
    return r.rowCount === 1;
  }

  async touchToken(tokenId: string, atUtc: string): Promise<void> {
    await this.pool.query(
      `UPDATE tokens SET last_used_at_utc = $2::timestamptz
       WHERE token_id = $1 AND (last_used_at_utc IS NULL OR last_used_at_utc < $2::timestamptz)`,
      [tokenId, atUtc],
    );
  }

  async putSite(name: string, secretHash: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO sites (name, secret_hash, created_at_utc) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET secret_hash = excluded.secret_hash`,
      [name, secretHash],
    );
  }

  async site(name: string): Promise<SiteRecord | undefined> {
    const { rows } = await this.pool.query<PgSite>('SELECT * FROM sites WHERE name = $1', [name]);
    return rows[0] === undefined ? undefined : siteOf(rows[0]);
  }

  async sites(): Promise<SiteRecord[]> {
    const { rows } = await this.pool.query<PgSite>('SELECT * FROM sites ORDER BY name');
    return rows.map(siteOf);
  }

  async setSiteDisabled(name: string, disabled: boolean): Promise<boolean> {
    // Disabling a disabled site keeps the time it was first disabled.
    const r = await this.pool.query(
      'UPDATE sites SET disabled_at_utc = CASE WHEN $2 THEN COALESCE(disabled_at_utc, now()) ELSE NULL END WHERE name = $1',
      [name, disabled],
    );
    return r.rowCount === 1;
  }

  async removeSite(name: string): Promise<boolean> {
    return (await this.pool.query('DELETE FROM sites WHERE name = $1', [name])).rowCount === 1;
  }

  async seeSites(names: readonly string[], atUtc: string): Promise<void> {
    if (names.length === 0) return;
    await this.pool.query(
      `UPDATE sites SET last_seen_at_utc = $2::timestamptz
       WHERE name = ANY($1::text[]) AND (last_seen_at_utc IS NULL OR last_seen_at_utc < $2::timestamptz)`,
      [names, atUtc],
    );
  }

  putConfig(files: Readonly<Record<string, string>>, sha256: string, createdBy: string, note?: string): Promise<ConfigRevision> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CONFIG_LOCK]);
      const latest = await configOn(client, 'ORDER BY revision DESC LIMIT 1');
      if (latest !== undefined && latest.sha256 === sha256) return latest;
      await client.query(
        'INSERT INTO config_revisions (content_sha256, content, created_at_utc, created_by, note) VALUES ($1, $2, now(), $3, $4)',
        [sha256, JSON.stringify(files), createdBy, note ?? null],
      );
      return (await configOn(client, 'ORDER BY revision DESC LIMIT 1'))!;
    });
  }

  latestConfig(): Promise<ConfigRevision | undefined> {
    return configOn(this.pool, 'ORDER BY revision DESC LIMIT 1');
  }

  async latestRevision(): Promise<{ revision: number; sha256: string } | undefined> {
    const { rows } = await this.pool.query<{ revision: string; sha256: string }>(
      'SELECT revision, content_sha256 AS sha256 FROM config_revisions ORDER BY revision DESC LIMIT 1',
    );
    return rows[0] === undefined ? undefined : { revision: Number(rows[0].revision), sha256: rows[0].sha256 };
  }

  config(revision: number): Promise<ConfigRevision | undefined> {
    return configOn(this.pool, 'WHERE revision = $1', [revision]);
  }

  async configs(): Promise<ConfigSummary[]> {
    const { rows } = await this.pool.query<Omit<PgConfig, 'content'> & { sites: string[] }>(
      `SELECT c.revision, c.content_sha256, c.created_at_utc, c.created_by, c.note,
         COALESCE(ARRAY(SELECT s.name FROM sites s WHERE s.config_revision = c.revision ORDER BY s.name), '{}') AS sites
       FROM config_revisions c ORDER BY c.revision DESC`,
    );
    return rows.map((r) => ({
      revision: Number(r.revision),
      sha256: r.content_sha256,
      createdAtUtc: r.created_at_utc.toISOString(),
      createdBy: r.created_by,
      note: r.note,
      sites: r.sites,
    }));
  }

  async reportConfig(site: string, report: ConfigReport): Promise<void> {
    await this.pool.query('UPDATE sites SET config_revision = $1, config_error = $2, config_reported_at_utc = now() WHERE name = $3', [
      report.revision,
      report.error,
      site,
    ]);
  }

  async recordAction(a: Omit<OperatorAction, 'id' | 'atUtc'>): Promise<void> {
    await this.pool.query('INSERT INTO operator_actions (at_utc, operator, action, target, detail) VALUES (now(), $1, $2, $3, $4)', [
      a.operator,
      a.action,
      a.target,
      a.detail,
    ]);
  }

  async actions(filter: OperatorActionFilter): Promise<OperatorAction[]> {
    const { rows } = await this.pool.query<{ id: string; at_utc: Date; operator: string; action: string; target: string; detail: string | null }>(
      `SELECT * FROM operator_actions
       WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR target = $2) AND ($3::bigint IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [filter.action ?? null, filter.target ?? null, filter.before ?? null, filter.limit],
    );
    return rows.map((r) => ({ id: Number(r.id), atUtc: r.at_utc.toISOString(), operator: r.operator, action: r.action, target: r.target, detail: r.detail }));
  }
}

async function configOn(q: pg.Pool | pg.PoolClient, where: string, params: unknown[] = []): Promise<ConfigRevision | undefined> {
  const { rows } = await q.query<PgConfig>(`SELECT * FROM config_revisions ${where}`, params);
  const r = rows[0];
  return r === undefined
    ? undefined
    : {
        revision: Number(r.revision),
        sha256: r.content_sha256,
        files: r.content,
        createdAtUtc: r.created_at_utc.toISOString(),
        createdBy: r.created_by,
        note: r.note,
      };
}

function tokenSummaryOf(r: PgToken): TokenSummary {
  return {
    tokenId: r.token_id,
    name: r.name,
    role: r.role,
    createdAtUtc: r.created_at_utc.toISOString(),
    lastUsedAtUtc: iso(r.last_used_at_utc),
    revokedAtUtc: iso(r.revoked_at_utc),
  };
}

function siteOf(r: PgSite): SiteRecord {
  return {
    name: r.name,
    secretHash: r.secret_hash,
    createdAtUtc: r.created_at_utc.toISOString(),
    reconcileVersion: Number(r.reconcile_version),
    configRevision: r.config_revision === null ? null : Number(r.config_revision),
    configError: r.config_error,
    configReportedAtUtc: iso(r.config_reported_at_utc),
    disabledAtUtc: iso(r.disabled_at_utc),
    lastSeenAtUtc: iso(r.last_seen_at_utc),
  };
}
