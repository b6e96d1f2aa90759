// The Inbound API's records on SQLite (issue 11, points 7 and 8): the
// InboundFailures and InboundIdempotency tables of migration 0007. A base
// class of the administrative store, so every central repository has these
// methods. Times are this node's clock (one file has one node, or nodes on
// one machine).
import { NamedFilter, keysetPage } from './keyset.js';
import { SqliteApiKeyStore } from './sqlite-api-keys.js';
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

interface FailureDbRow {
  Id: number;
  Method: string;
  KeyName: string | null;
  Code: string;
  Message: string;
  Status: number;
  AtUtc: string;
  DurationMs: number;
  Site: string | null;
}

interface IdempotencyDbRow {
  KeyName: string;
  Method: string;
  IdempotencyKey: string;
  RequestSha256: string;
  State: IdempotencyRow['state'];
  Status: number | null;
  Body: string | null;
  ClaimedAtUtc: string;
  ExpiresAtUtc: string;
}

const KEY = 'KeyName = @keyName AND Method = @method AND IdempotencyKey = @idempotencyKey';
const iso = (ms: number): string => new Date(ms).toISOString();

export class SqliteInboundStore extends SqliteApiKeyStore implements InboundRecordStore {
  #claim: ((ref: IdempotencyRef, runMs: number) => IdempotencyAttempt) | undefined;

  recordInboundFailure(f: InboundFailureRecord): Promise<void> {
    this.db
      .prepare(`INSERT INTO InboundFailures (Method, KeyName, Code, Message, Status, AtUtc, DurationMs, Site)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(f.method, f.keyName, f.code, f.message, f.status, f.atUtc, f.durationMs, f.site);
    return Promise.resolve();
  }

  listInboundFailures(filter: InboundFailureFilter, page: { after?: number; limit: number }): Promise<InboundFailurePage> {
    const f = new NamedFilter(page.limit)
      .add('Method = @method', 'method', filter.method)
      .add('KeyName = @keyName', 'keyName', filter.keyName)
      .add('Code = @code', 'code', filter.code)
      .add('Site = @site', 'site', filter.site)
      .add('AtUtc >= @from', 'from', filter.from)
      .add('AtUtc < @to', 'to', filter.to)
      .add('Id < @after', 'after', page.after);
    const sql = `SELECT * FROM InboundFailures ${f.where} ORDER BY Id DESC LIMIT @limit`;
    const rows = (this.db.prepare(sql).all(f.params) as FailureDbRow[]).map(failureOf);
    return Promise.resolve(keysetPage(rows, page.limit, (r) => r.id));
  }

  claimIdempotencyKey(ref: IdempotencyRef, runMs: number): Promise<IdempotencyAttempt> {
    // Insert, or take over a row past its expiry, then read: one IMMEDIATE
    // transaction, so two connections to the file never both claim.
    this.#claim ??= (() => {
      const upsert = this.db.prepare(`INSERT INTO InboundIdempotency
          (KeyName, Method, IdempotencyKey, RequestSha256, State, Status, Body, ClaimedAtUtc, ExpiresAtUtc)
        VALUES (@keyName, @method, @idempotencyKey, @requestSha256, 'in-progress', NULL, NULL, @now, @expires)
        ON CONFLICT (KeyName, Method, IdempotencyKey) DO UPDATE SET
          RequestSha256 = excluded.RequestSha256, State = 'in-progress', Status = NULL, Body = NULL,
          ClaimedAtUtc = excluded.ClaimedAtUtc, ExpiresAtUtc = excluded.ExpiresAtUtc
        WHERE InboundIdempotency.ExpiresAtUtc <= excluded.ClaimedAtUtc`);
      const read = this.db.prepare(`SELECT * FROM InboundIdempotency WHERE ${KEY}`);
      const tx = this.db.transaction((r: IdempotencyRef, ms: number): IdempotencyAttempt => {
        const now = Date.now();
        const key = { keyName: r.keyName, method: r.method, idempotencyKey: r.idempotencyKey };
        if (upsert.run({ ...key, requestSha256: r.requestSha256, now: iso(now), expires: iso(now + ms) }).changes === 1) return { claimed: true };
        const row = read.get(key) as IdempotencyDbRow | undefined;
        return { claimed: false, row: row === undefined ? undefined : idempotencyOf(row) };
      });
      return (r, ms) => tx.immediate(r, ms);
    })();
    try {
      return Promise.resolve(this.#claim(ref, runMs));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  completeIdempotencyKey(ref: IdempotencyRef, response: { status: number; body: string }, keepMs: number): Promise<boolean> {
    const r = this.db
      .prepare(`UPDATE InboundIdempotency SET State = 'done', Status = @status, Body = @body, ExpiresAtUtc = @expires
        WHERE ${KEY} AND RequestSha256 = @requestSha256 AND State = 'in-progress'`)
      .run({ ...refParams(ref), status: response.status, body: response.body, expires: iso(Date.now() + keepMs) });
    return Promise.resolve(r.changes === 1);
  }

  releaseIdempotencyKey(ref: IdempotencyRef): Promise<boolean> {
    const r = this.db
      .prepare(`DELETE FROM InboundIdempotency WHERE ${KEY} AND RequestSha256 = @requestSha256 AND State = 'in-progress'`)
      .run(refParams(ref));
    return Promise.resolve(r.changes === 1);
  }

  idempotencyRow(ref: Omit<IdempotencyRef, 'requestSha256'>): Promise<IdempotencyRow | undefined> {
    const row = this.db
      .prepare(`SELECT * FROM InboundIdempotency WHERE ${KEY}`)
      .get({ keyName: ref.keyName, method: ref.method, idempotencyKey: ref.idempotencyKey }) as IdempotencyDbRow | undefined;
    return Promise.resolve(row === undefined ? undefined : idempotencyOf(row));
  }

  purgeInbound(cutoffs: { failuresBefore: string }): Promise<InboundPurgeResult> {
    const inboundFailures = this.db.prepare('DELETE FROM InboundFailures WHERE AtUtc < ?').run(cutoffs.failuresBefore).changes;
    const idempotencyKeys = this.db.prepare('DELETE FROM InboundIdempotency WHERE ExpiresAtUtc < ?').run(iso(Date.now())).changes;
    return Promise.resolve({ inboundFailures, idempotencyKeys });
  }
}

function refParams(ref: IdempotencyRef): Record<string, string> {
  return { keyName: ref.keyName, method: ref.method, idempotencyKey: ref.idempotencyKey, requestSha256: ref.requestSha256 };
}

function failureOf(r: FailureDbRow): InboundFailureRow {
  return {
    id: r.Id,
    method: r.Method,
    keyName: r.KeyName,
    code: r.Code,
    message: r.Message,
    status: r.Status,
    atUtc: r.AtUtc,
    durationMs: r.DurationMs,
    site: r.Site,
  };
}

function idempotencyOf(r: IdempotencyDbRow): IdempotencyRow {
  return {
    keyName: r.KeyName,
    method: r.Method,
    idempotencyKey: r.IdempotencyKey,
    requestSha256: r.RequestSha256,
    state: r.State,
    status: r.Status,
    body: r.Body,
    claimedAtUtc: r.ClaimedAtUtc,
    expiresAtUtc: r.ExpiresAtUtc,
  };
}
