// The Inbound API's records on PostgreSQL (issue 11, points 7 and 8): the
// inbound_failures and inbound_idempotency tables of migration 0007. A base
// class of the administrative store, so every central repository has these
// methods. Claim times are the server's now(), so replicas whose clocks
// disagree still agree on when a claim expires.
import { PositionalFilter, keysetPage } from './keyset.js';
import { PostgresApiKeyStore } from './postgres-api-keys.js';
import type {
  IdempotencyAttempt,
  IdempotencyRef,
  IdempotencyRow,
  InboundFailureFilter,
  InboundFailurePage,
  InboundFailureRecord,
  InboundFailureRow,
  InboundPurgeResult,
  InboundRecordStore,
} from './inbound-types.js';

interface PgFailure {
  /** bigint comes back as a string. */
  id: string;
  method: string;
  key_name: string | null;
  code: string;
  message: string;
  status: number;
  at_utc: Date;
  duration_ms: number;
  site: string | null;
}

interface PgIdempotency {
  key_name: string;
  method: string;
  idempotency_key: string;
  request_sha256: string;
  state: IdempotencyRow['state'];
  status: number | null;
  body: string | null;
  claimed_at: Date;
  expires_at: Date;
}

const KEY = 'key_name = $1 AND method = $2 AND idempotency_key = $3';

export class PostgresInboundStore extends PostgresApiKeyStore implements InboundRecordStore {
  async recordInboundFailure(f: InboundFailureRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO inbound_failures (method, key_name, code, message, status, at_utc, duration_ms, site)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8)`,
      [f.method, f.keyName, f.code, f.message, f.status, f.atUtc, f.durationMs, f.site],
    );
  }

  async listInboundFailures(filter: InboundFailureFilter, page: { after?: number; limit: number }): Promise<InboundFailurePage> {
    const f = new PositionalFilter()
      .add('method', '=', filter.method)
      .add('key_name', '=', filter.keyName)
      .add('code', '=', filter.code)
      .add('site', '=', filter.site)
      .add('at_utc', '>=', filter.from, '::timestamptz')
      .add('at_utc', '<', filter.to, '::timestamptz')
      .add('id', '<', page.after, '::bigint');
    const limit = f.limit(page.limit);
    const { rows } = await this.pool.query<PgFailure>(`SELECT * FROM inbound_failures ${f.where} ORDER BY id DESC LIMIT ${limit}`, f.values);
    return keysetPage(rows.map(failureOf), page.limit, (r) => r.id);
  }

  async claimIdempotencyKey(ref: IdempotencyRef, runMs: number): Promise<IdempotencyAttempt> {
    const values = [ref.keyName, ref.method, ref.idempotencyKey, ref.requestSha256, runMs];
    // A new key: one insert. ON CONFLICT makes concurrent claims from any
    // number of replicas end with exactly one row, inserted by exactly one of
    // them. A conflict writes nothing (DO NOTHING takes no row lock), so a
    // retry or a waiting duplicate costs reads only, never a commit to disk.
    const inserted = await this.pool.query(
      `INSERT INTO inbound_idempotency
         (key_name, method, idempotency_key, request_sha256, state, status, body, claimed_at, expires_at)
       VALUES ($1, $2, $3, $4, 'in-progress', NULL, NULL, now(), now() + $5::double precision * interval '1 millisecond')
       ON CONFLICT (key_name, method, idempotency_key) DO NOTHING`,
      values,
    );
    if (inserted.rowCount === 1) return { claimed: true };
    const { rows } = await this.pool.query<PgIdempotency & { expired: boolean }>(
      `SELECT *, expires_at <= now() AS expired FROM inbound_idempotency WHERE ${KEY}`,
      values.slice(0, 3),
    );
    const row = rows[0];
    if (row === undefined) return { claimed: false, row: undefined };
    if (!row.expired) return { claimed: false, row: idempotencyOf(row) };
    // Past its expiry (an old answer, or the claim of a run that never
    // finished): taken over by a conditional update, which PostgreSQL
    // re-checks on the newest row version once it holds the row's lock, so of
    // several replicas taking it over at once exactly one does.
    const taken = await this.pool.query(
      `UPDATE inbound_idempotency SET request_sha256 = $4, state = 'in-progress', status = NULL, body = NULL,
         claimed_at = now(), expires_at = now() + $5::double precision * interval '1 millisecond'
       WHERE ${KEY} AND expires_at <= now()`,
      values,
    );
    if (taken.rowCount === 1) return { claimed: true };
    // Another replica took it over first: its claim is the row now (read by the caller's next attempt).
    return { claimed: false, row: undefined };
  }

  async completeIdempotencyKey(ref: IdempotencyRef, response: { status: number; body: string }, keepMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE inbound_idempotency SET state = 'done', status = $5, body = $6, expires_at = now() + $7::double precision * interval '1 millisecond'
       WHERE ${KEY} AND request_sha256 = $4 AND state = 'in-progress'`,
      [ref.keyName, ref.method, ref.idempotencyKey, ref.requestSha256, response.status, response.body, keepMs],
    );
    return r.rowCount === 1;
  }

  async releaseIdempotencyKey(ref: IdempotencyRef): Promise<boolean> {
    const r = await this.pool.query(`DELETE FROM inbound_idempotency WHERE ${KEY} AND request_sha256 = $4 AND state = 'in-progress'`, [
      ref.keyName,
      ref.method,
      ref.idempotencyKey,
      ref.requestSha256,
    ]);
    return r.rowCount === 1;
  }

  async idempotencyRow(ref: Omit<IdempotencyRef, 'requestSha256'>): Promise<IdempotencyRow | undefined> {
    const { rows } = await this.pool.query<PgIdempotency>(`SELECT * FROM inbound_idempotency WHERE ${KEY}`, [
      ref.keyName,
      ref.method,
      ref.idempotencyKey,
    ]);
    return rows[0] === undefined ? undefined : idempotencyOf(rows[0]);
  }

  async purgeInbound(cutoffs: { failuresBefore: string }): Promise<InboundPurgeResult> {
    const failures = await this.pool.query('DELETE FROM inbound_failures WHERE at_utc < $1::timestamptz', [cutoffs.failuresBefore]);
    const keys = await this.pool.query('DELETE FROM inbound_idempotency WHERE expires_at < now()');
    return { inboundFailures: failures.rowCount ?? 0, idempotencyKeys: keys.rowCount ?? 0 };
  }
}

function failureOf(r: PgFailure): InboundFailureRow {
  return {
    id: Number(r.id),
    method: r.method,
    keyName: r.key_name,
    code: r.code,
    message: r.message,
    status: r.status,
    atUtc: r.at_utc.toISOString(),
    durationMs: r.duration_ms,
    site: r.site,
  };
}

function idempotencyOf(r: PgIdempotency): IdempotencyRow {
  return {
    keyName: r.key_name,
    method: r.method,
    idempotencyKey: r.idempotency_key,
    requestSha256: r.request_sha256,
    state: r.state,
    status: r.status,
    body: r.body,
    claimedAtUtc: r.claimed_at.toISOString(),
    expiresAtUtc: r.expires_at.toISOString(),
  };
}
