// Issue 11, points 7 and 8, with a real `scadalink central` process:
// --inbound-failure-retention sets how long failed Inbound API calls are kept
// (the start-up purge removes older ones, and Idempotency-Key records past
// their 24 h), the failure log is served at /admin/api/inbound-api/failures,
// and a bad retention is refused naming the flag.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseFailureLog, DatabaseIdempotencyStore, SqliteCentralRepository, createToken } from '../../src/central/index.js';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';

const DAY_MS = 86_400_000;

describe('Inbound API records in a central process (issue 11 points 7 and 8)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess | undefined;

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await central?.terminate();
    central = undefined;
    tmp.cleanup();
  });

  it('issue 11 point 7: --inbound-failure-retention 2 purges failures older than 2 days at start, and the rest are served to an operator', async () => {
    const repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    const log = new DatabaseFailureLog(repo);
    const failure = { keyName: 'mes', code: 'SCRIPT_ERROR', message: 'the method script failed', status: 500, durationMs: 2, site: null };
    await log.record({ ...failure, method: 'ThreeDaysOld', atUtc: new Date(Date.now() - 3 * DAY_MS).toISOString() });
    await log.record({ ...failure, method: 'OneDayOld', atUtc: new Date(Date.now() - DAY_MS).toISOString() });
    const store = new DatabaseIdempotencyStore(repo);
    const ref = { keyName: 'mes', method: 'StartBatch', idempotencyKey: 'k1', requestSha256: 'b'.repeat(64) };
    expect(await store.claim(ref, 1_000)).toEqual({ kind: 'claimed' });
    await store.complete(ref, { status: 200, body: '1' });
    // Recorded 25 h ago: past its 24 h.
    repo.db.prepare('UPDATE InboundIdempotency SET ExpiresAtUtc = ?').run(new Date(Date.now() - 3_600_000).toISOString());
    const token = await createToken(repo, 'victor', 'Viewer');
    await repo.close();

    central = await SiteProcess.central(['--data', tmp.dir, '--port', '0', '--grpc-port', '0', '--inbound-failure-retention', '2']);
    const done = await central.line('central purge done');
    expect(done).toContain('"inboundFailures":1');
    expect(done).toContain('"idempotencyKeys":1');
    const res = await fetch(`${central.url}/admin/api/inbound-api/failures`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { method: string }[]; next: number | null };
    expect(body.items.map((r) => r.method)).toEqual(['OneDayOld']);
    expect(body.next).toBeNull();
    expect((await fetch(`${central.url}/admin/api/inbound-api/failures`)).status).toBe(401);
  }, 60_000);

  it('issue 11 point 7: a retention that is not a whole number of days is refused, naming the flag', () => {
    for (const bad of ['0', '1.5', 'month']) {
      const r = runCli(['central', '--data', tmp.dir, '--port', '0', '--grpc-port', '0', '--inbound-failure-retention', bad]);
      expect(r.status, bad).not.toBe(0);
      expect(r.stderr, bad).toMatch(/INVALID_ARGUMENT.*--inbound-failure-retention/);
    }
  }, 60_000);
});
