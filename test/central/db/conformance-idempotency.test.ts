// Issue 11, point 8, on both central engines: Idempotency-Key claims are
// atomic (two replicas on one database: exactly one claims), a recorded answer
// is replayed for 24 h, another body is a conflict, a duplicate waits for the
// first and then answers in-progress, a crashed node's claim is taken over
// once its run time passed, and expired rows are purged.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CentralRepository, DatabaseIdempotencyStore, type IdempotencyRef } from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const ref = (body = '{"batch":1}', over: Partial<IdempotencyRef> = {}): IdempotencyRef => ({
  keyName: 'mes',
  method: 'StartBatch',
  idempotencyKey: 'retry-7f3a',
  requestSha256: sha256(body),
  ...over,
});

describe.each(ENGINES)('Idempotency-Key records on %s (issue 11 point 8)', (engine, open) => {
  let h: EngineHarness;
  let repo: CentralRepository;
  let store: DatabaseIdempotencyStore;
  freshEachTest(open, (opened) => {
    h = opened;
    repo = opened.repo;
    store = new DatabaseIdempotencyStore(repo, { claimGraceMs: 0 });
  });

  /** Moves the key's expiry `ms` into the past, as if that much time had gone by (no waiting a day in a test). */
  const expire = async (r: IdempotencyRef, ms = 1_000): Promise<void> => {
    const at = new Date(Date.now() - ms).toISOString();
    await h.exec(
      engine === 'sqlite'
        ? `UPDATE InboundIdempotency SET ExpiresAtUtc = '${at}' WHERE IdempotencyKey = '${r.idempotencyKey}'`
        : `UPDATE inbound_idempotency SET expires_at = '${at}' WHERE idempotency_key = '${r.idempotencyKey}'`,
    );
  };

  /**
   * A store over the same repository that resolves `lookedOnce` after its
   * first claim attempt: the event a test awaits before the first request
   * completes or releases, so the duplicate is known to be waiting by then.
   */
  const watchedStore = (): { watched: DatabaseIdempotencyStore; lookedOnce: Promise<void> } => {
    let looked!: () => void;
    const lookedOnce = new Promise<void>((resolve) => (looked = resolve));
    const watched = new DatabaseIdempotencyStore({
      claimIdempotencyKey: async (r, ms) => {
        const attempt = await repo.claimIdempotencyKey(r, ms);
        looked();
        return attempt;
      },
      completeIdempotencyKey: (r, response, keep) => repo.completeIdempotencyKey(r, response, keep),
      releaseIdempotencyKey: (r) => repo.releaseIdempotencyKey(r),
    });
    return { watched, lookedOnce };
  };

  it('issue 11 point 8: the first request claims, its answer is recorded, and a retry with the same body replays it without a new claim', async () => {
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'claimed' });
    const row = await repo.idempotencyRow(ref());
    expect(row).toMatchObject({ state: 'in-progress', status: null, body: null, requestSha256: ref().requestSha256 });
    expect(Date.parse(row!.expiresAtUtc) - Date.parse(row!.claimedAtUtc)).toBe(30_000);
    await store.complete(ref(), { status: 200, body: '{"started":true}' });
    const done = await repo.idempotencyRow(ref());
    expect(done).toMatchObject({ state: 'done', status: 200, body: '{"started":true}' });
    // Replayed for 24 h from when the answer was recorded.
    expect(Math.abs(Date.parse(done!.expiresAtUtc) - Date.now() - 86_400_000)).toBeLessThan(60_000);
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'replay', response: { status: 200, body: '{"started":true}' } });
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'replay', response: { status: 200, body: '{"started":true}' } });
    // An error answer is recorded and replayed the same way.
    const other = ref('{}', { idempotencyKey: 'k-2' });
    expect(await store.claim(other, 1_000)).toEqual({ kind: 'claimed' });
    await store.complete(other, { status: 500, body: '{"error":"the method script failed","code":"SCRIPT_ERROR"}' });
    expect(await store.claim(other, 1_000)).toMatchObject({ kind: 'replay', response: { status: 500 } });
  });

  it('issue 11 point 8: the same key with another body is a conflict, whether the first is running or done', async () => {
    expect(await store.claim(ref('{"batch":1}'), 30_000)).toEqual({ kind: 'claimed' });
    const started = Date.now();
    expect(await store.claim(ref('{"batch":2}'), 30_000)).toEqual({ kind: 'conflict' });
    expect(Date.now() - started).toBeLessThan(1_000); // no waiting for a conflict
    await store.complete(ref('{"batch":1}'), { status: 200, body: '1' });
    expect(await store.claim(ref('{"batch":2}'), 30_000)).toEqual({ kind: 'conflict' });
    // A conflict changes nothing: the first answer still replays.
    expect(await store.claim(ref('{"batch":1}'), 30_000)).toEqual({ kind: 'replay', response: { status: 200, body: '1' } });
    // complete and release of the other body do not touch the first's row.
    await store.complete(ref('{"batch":2}'), { status: 200, body: '2' });
    await store.release(ref('{"batch":2}'));
    expect(await repo.idempotencyRow(ref())).toMatchObject({ state: 'done', body: '1' });
  });

  it('issue 11 point 8: a run time that is not a sane number still claims, holding the key no longer than its retention', async () => {
    expect(await store.claim(ref(undefined, { idempotencyKey: 'inf' }), Number.POSITIVE_INFINITY)).toEqual({ kind: 'claimed' });
    expect(await store.claim(ref(undefined, { idempotencyKey: 'nan' }), Number.NaN)).toEqual({ kind: 'claimed' });
    const inf = await repo.idempotencyRow({ keyName: 'mes', method: 'StartBatch', idempotencyKey: 'inf' });
    expect(Date.parse(inf!.expiresAtUtc) - Date.parse(inf!.claimedAtUtc)).toBe(86_400_000);
    const nan = await repo.idempotencyRow({ keyName: 'mes', method: 'StartBatch', idempotencyKey: 'nan' });
    expect(nan!.expiresAtUtc).toBe(nan!.claimedAtUtc);
  });

  it('issue 11 point 8: the key is per API key and per method: the same Idempotency-Key elsewhere is a separate claim', async () => {
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'claimed' });
    expect(await store.claim(ref(undefined, { keyName: 'erp' }), 30_000)).toEqual({ kind: 'claimed' });
    expect(await store.claim(ref(undefined, { method: 'StopBatch' }), 30_000)).toEqual({ kind: 'claimed' });
    expect(await store.claim(ref(undefined, { idempotencyKey: 'RETRY-7F3A' }), 30_000)).toEqual({ kind: 'claimed' });
  });

  it('issue 11 point 8: a duplicate while the first runs waits up to its run time, then answers in-progress', async () => {
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'claimed' });
    const started = Date.now();
    expect(await store.claim(ref(), 200)).toEqual({ kind: 'in-progress' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(2_000);
    // The wait is capped (5 s by default; 150 ms here) however long the method may run.
    const capped = new DatabaseIdempotencyStore(repo, { maxWaitMs: 150 });
    const t0 = Date.now();
    expect(await capped.claim(ref(), 60_000)).toEqual({ kind: 'in-progress' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    // The waiting changed nothing: the first claim still holds the key.
    expect(await repo.idempotencyRow(ref())).toMatchObject({ state: 'in-progress' });
  });

  it('issue 11 point 8: a duplicate that is waiting gets the first request answer as soon as it is recorded', async () => {
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'claimed' });
    const { watched, lookedOnce } = watchedStore();
    const duplicate = watched.claim(ref(), 4_000);
    await lookedOnce;
    const completedAt = Date.now();
    await store.complete(ref(), { status: 200, body: '"done"' });
    expect(await duplicate).toEqual({ kind: 'replay', response: { status: 200, body: '"done"' } });
    expect(Date.now() - completedAt).toBeLessThan(1_000);
  });

  it('issue 11 point 8: a released claim (nothing recorded) lets a waiting duplicate claim and run', async () => {
    expect(await store.claim(ref(), 30_000)).toEqual({ kind: 'claimed' });
    const { watched, lookedOnce } = watchedStore();
    const duplicate = watched.claim(ref(), 4_000);
    await lookedOnce;
    await store.release(ref());
    expect(await duplicate).toEqual({ kind: 'claimed' });
  });

  it('issue 11 point 8: the claim of a run that never finished (a crashed node) is taken over once its run time has passed, with any body', async () => {
    expect(await store.claim(ref('{"batch":1}'), 30_000)).toEqual({ kind: 'claimed' });
    expect(await repo.claimIdempotencyKey(ref('{"batch":1}'), 30_000)).toMatchObject({ claimed: false, row: { state: 'in-progress' } });
    await expire(ref());
    expect(await repo.claimIdempotencyKey(ref('{"batch":3}'), 30_000)).toEqual({ claimed: true });
    expect(await repo.idempotencyRow(ref())).toMatchObject({ state: 'in-progress', requestSha256: sha256('{"batch":3}') });
    // The crashed run's late answer is not recorded over the new claim.
    expect(await repo.completeIdempotencyKey(ref('{"batch":1}'), { status: 200, body: 'late' }, 86_400_000)).toBe(false);
    expect(await repo.releaseIdempotencyKey(ref('{"batch":1}'))).toBe(false);
  });

  it('issue 11 point 8: a recorded answer older than 24 h is not replayed: the key is claimed afresh (any body) and the old answer is gone', async () => {
    expect(await store.claim(ref('{"batch":1}'), 1_000)).toEqual({ kind: 'claimed' });
    await store.complete(ref('{"batch":1}'), { status: 200, body: 'first' });
    await expire(ref());
    expect(await store.claim(ref('{"batch":2}'), 1_000)).toEqual({ kind: 'claimed' });
    expect(await repo.idempotencyRow(ref())).toMatchObject({ state: 'in-progress', status: null, body: null });
  });

  it('issue 11 point 8: purgeInbound deletes the rows past their expiry (old answers, dead claims) and keeps the live ones', async () => {
    for (const key of ['done-old', 'claim-dead', 'done-live', 'claim-live']) {
      expect(await store.claim(ref(undefined, { idempotencyKey: key }), 30_000)).toEqual({ kind: 'claimed' });
      if (key.startsWith('done')) await store.complete(ref(undefined, { idempotencyKey: key }), { status: 200, body: key });
    }
    await expire(ref(undefined, { idempotencyKey: 'done-old' }));
    await expire(ref(undefined, { idempotencyKey: 'claim-dead' }));
    expect(await repo.purgeInbound({ failuresBefore: '2000-01-01T00:00:00.000Z' })).toEqual({ inboundFailures: 0, idempotencyKeys: 2 });
    const left = [];
    for (const key of ['done-old', 'claim-dead', 'done-live', 'claim-live']) {
      if ((await repo.idempotencyRow({ keyName: 'mes', method: 'StartBatch', idempotencyKey: key })) !== undefined) left.push(key);
    }
    expect(left).toEqual(['done-live', 'claim-live']);
  });

  it('issue 11 point 8: concurrent claims of one key from two replicas on one database: exactly one is claimed, every other sees its claim', async () => {
    const replicas = [repo, await h.reopen()];
    for (let round = 0; round < 5; round++) {
      const r = ref(undefined, { idempotencyKey: `race-${round}` });
      const attempts = await Promise.all(Array.from({ length: 16 }, (_, i) => replicas[i % 2]!.claimIdempotencyKey(r, 30_000)));
      expect(attempts.filter((a) => a.claimed)).toHaveLength(1);
      for (const a of attempts) if (!a.claimed) expect(a.row).toMatchObject({ state: 'in-progress', requestSha256: r.requestSha256 });
      // Taking over the claim once it expired is a race with one winner too.
      await expire(r);
      const takeovers = await Promise.all(Array.from({ length: 16 }, (_, i) => replicas[i % 2]!.claimIdempotencyKey(r, 30_000)));
      expect(takeovers.filter((a) => a.claimed)).toHaveLength(1);
    }
    // Through the store on each replica: one claimed, the other (not waiting) in progress.
    const stores = replicas.map((x) => new DatabaseIdempotencyStore(x, { maxWaitMs: 0 }));
    const r = ref(undefined, { idempotencyKey: 'race-store' });
    const claims = await Promise.all(stores.map((s) => s.claim(r, 30_000)));
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'in-progress']);
  });
});
