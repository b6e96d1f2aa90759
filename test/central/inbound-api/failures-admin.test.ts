// Issue 11, points 7 and 8, through a real central node (SQLite, real HTTP):
// GET /admin/api/inbound-api/failures needs an operator token (Viewer or
// above), filters and pages the failure log, refuses bad parameters with
// INVALID_QUERY naming them; the daily maintenance purges failures past
// their retention and Idempotency-Key rows past their 24 h.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CentralNode,
  DatabaseFailureLog,
  DatabaseIdempotencyStore,
  type SqliteCentralRepository,
  createToken,
  revokeToken,
  startCentralNode,
} from '../../../src/central/index.js';
import { tempDir } from '../../support/index.js';

const logger = pino({ level: 'silent' });
const DAY_MS = 86_400_000;

interface Answer {
  status: number;
  body: { items?: { id: number; method: string; code: string }[]; next?: number | null; error?: { code: string; message: string; details?: { parameter?: string } } };
}

describe('the Inbound API failure log through the admin API (issue 11 point 7)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    tmp = tempDir();
    node = await startCentralNode({ dataDir: tmp.dir, port: 0, grpcPort: 0, logger, maintenanceOnStart: false, inboundFailureRetentionMs: 30 * DAY_MS });
    for (const role of ['Viewer', 'Deployment', 'Admin'] as const) tokens[role] = await createToken(node.repo, role.toLowerCase(), role);
    const log = new DatabaseFailureLog(node.repo);
    const now = Date.now();
    for (let i = 0; i < 7; i++) {
      await log.record({
        method: i < 4 ? 'GetRecipe' : 'StartBatch',
        keyName: i % 2 === 0 ? 'mes' : 'erp',
        code: i === 6 ? 'SITE_UNREACHABLE' : 'SCRIPT_ERROR',
        message: i === 6 ? 'plant-a is not connected' : 'the method script failed',
        status: i === 6 ? 503 : 500,
        atUtc: new Date(now - (7 - i) * 60_000).toISOString(),
        durationMs: 3,
        site: i === 6 ? 'plant-a' : null,
      });
    }
  });
  afterEach(async () => {
    await node.stop();
    tmp.cleanup();
  });

  /** `null`: no Authorization header. */
  const get = async (query: string, token: string | null = tokens.Viewer!): Promise<Answer> => {
    const res = await fetch(`${node.url}/admin/api/inbound-api/failures${query}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };

  it('issue 11 point 7: 401 without a token, with a wrong one and with a revoked one; every role (Viewer is the least) reads it', async () => {
    expect(await get('', null)).toMatchObject({ status: 401, body: { error: { code: 'ADMIN_UNAUTHORIZED' } } });
    expect((await get('', 'slk_op_nothing')).status).toBe(401);
    const revoked = await createToken(node.repo, 'gone', 'Admin');
    await revokeToken(node.repo, 'test', 'gone');
    expect(await get('', revoked)).toMatchObject({ status: 401, body: { error: { code: 'ADMIN_UNAUTHORIZED' } } });
    for (const role of ['Viewer', 'Deployment', 'Admin']) {
      const answer = await get('', tokens[role]);
      expect(answer.status, role).toBe(200);
      expect(answer.body.items).toHaveLength(7);
    }
  });

  it('issue 11 point 7: 200 with the filters applied, newest first, and keyset pages through next/after', async () => {
    const routed = await get('?site=plant-a&code=SITE_UNREACHABLE');
    expect(routed.status).toBe(200);
    expect(routed.body).toEqual({
      items: [{ id: expect.any(Number) as number, method: 'StartBatch', keyName: 'mes', code: 'SITE_UNREACHABLE', message: 'plant-a is not connected', status: 503, atUtc: expect.any(String) as string, durationMs: 3, site: 'plant-a' }],
      next: null,
    });
    expect((await get('?method=GetRecipe&keyName=mes')).body.items).toHaveLength(2);
    const since = new Date(Date.now() - 3.5 * 60_000).toISOString();
    expect((await get(`?from=${since}`)).body.items).toHaveLength(3);
    expect((await get(`?to=${since}`)).body.items).toHaveLength(4);
    const seen: number[] = [];
    let query = '?limit=3';
    for (;;) {
      const page = await get(query);
      expect(page.status).toBe(200);
      seen.push(...page.body.items!.map((r) => r.id));
      if (page.body.next === null) break;
      query = `?limit=3&after=${page.body.next}`;
    }
    expect(seen).toHaveLength(7);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it('issue 11 point 7: a bad parameter is 400 INVALID_QUERY naming it', async () => {
    const cases: [string, string][] = [
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?limit=ten', 'limit'],
      ['?after=-1', 'after'],
      ['?after=abc', 'after'],
      ['?from=yesterday', 'from'],
      ['?to=2026-02-30T00:00:00Z', 'to'],
      ['?method=A&method=B', 'method'],
      ['?status=500', 'status'],
    ];
    for (const [query, parameter] of cases) {
      const answer = await get(query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error, query).toMatchObject({ code: 'INVALID_QUERY', details: { parameter } });
      expect(answer.body.error!.message.startsWith(`${parameter}: `), query).toBe(true);
    }
  });

  it('issue 11 points 7 and 8: the daily maintenance purges failures past their retention and Idempotency-Key rows past their expiry', async () => {
    const log = new DatabaseFailureLog(node.repo);
    await log.record({ method: 'Old', keyName: 'mes', code: 'SCRIPT_ERROR', message: 'x', status: 500, atUtc: new Date(Date.now() - 31 * DAY_MS).toISOString(), durationMs: 1, site: null });
    const store = new DatabaseIdempotencyStore(node.repo);
    const ref = (idempotencyKey: string) => ({ keyName: 'mes', method: 'StartBatch', idempotencyKey, requestSha256: 'a'.repeat(64) });
    for (const key of ['old', 'live']) {
      expect(await store.claim(ref(key), 1_000)).toEqual({ kind: 'claimed' });
      await store.complete(ref(key), { status: 200, body: 'true' });
    }
    // As if the answer had been recorded 25 h ago.
    (node.repo as SqliteCentralRepository).db
      .prepare(`UPDATE InboundIdempotency SET ExpiresAtUtc = ? WHERE IdempotencyKey = 'old'`)
      .run(new Date(Date.now() - 3_600_000).toISOString());
    const result = await node.runMaintenance();
    expect(result).toMatchObject({ inboundFailures: 1, idempotencyKeys: 1 });
    const left = (await get('?limit=1000')).body.items!;
    expect(left).toHaveLength(7);
    expect(left.some((r) => r.method === 'Old')).toBe(false);
    expect(await node.repo.idempotencyRow(ref('old'))).toBeUndefined();
    expect(await store.claim(ref('live'), 1_000)).toEqual({ kind: 'replay', response: { status: 200, body: 'true' } });
  });

  it('issue 11 point 7: when the SQLite insert fails, record() rejects rather than throwing (the endpoint only catches a rejection)', async () => {
    const db = (node.repo as SqliteCentralRepository).db;
    const log = new DatabaseFailureLog(node.repo);
    db.exec('ALTER TABLE InboundFailures RENAME TO InboundFailuresAway');
    try {
      let recorded: Promise<void> | undefined;
      expect(() => {
        recorded = log.record({ method: 'Add', keyName: 'mes', code: 'SCRIPT_ERROR', message: 'x', status: 500, atUtc: new Date().toISOString(), durationMs: 1, site: null });
      }).not.toThrow();
      await expect(recorded).rejects.toThrow(/no such table/);
    } finally {
      db.exec('ALTER TABLE InboundFailuresAway RENAME TO InboundFailures');
    }
  });
});
