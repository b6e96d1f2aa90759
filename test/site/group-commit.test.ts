import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel, DeliveryError, OperationStatus, newTrackedOperationId } from '../../src/commons/index.js';
import { SiteStore } from '../../src/site/index.js';
import type { SubmitInput } from '../../src/site/index.js';
import { GroupCommitter } from '../../src/site/store/group-commit.js';
import { tempDir } from '../support/index.js';

const input = (n: number): SubmitInput => ({
  id: newTrackedOperationId(),
  channel: Channel.ApiOutbound,
  target: 'ERP',
  targetSummary: 'ERP.postOrder',
  request: { system: 'ERP', method: 'postOrder', params: { orderId: `O${n}` } },
  maxRetries: 3,
  retryIntervalMs: 60_000,
  sourceInstanceId: 'Pump1',
  sourceScript: 'report',
});

const refused = new DeliveryError('HTTP_CONNECTION', 'ERP.postOrder: connection failed (ECONNREFUSED)', 'transient');

describe('group commit: one transaction per batch, each job succeeds or fails alone', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Database.Database;
  let committer: GroupCommitter;
  const rows = (): string[] => (db.prepare('SELECT v FROM t ORDER BY v').pluck().all() as string[]);

  beforeEach(() => {
    tmp = tempDir();
    db = new Database(join(tmp.dir, 'g.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    committer = new GroupCommitter(db);
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const insertThenThrow = (v: string) => () => {
    db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    throw new Error(`job ${v} failed after writing`);
  };

  it('a rerunnable job that throws after writing is rolled back alone, at the head of a batch and after it', async () => {
    const rerun = { rerunnable: true };
    const outcomes = await Promise.allSettled([
      committer.run(insert('a'), rerun),
      committer.run(insertThenThrow('b'), rerun),
      committer.run(insert('c'), rerun),
      committer.run(insert('d')), // not rerunnable: ends the shared head run
      committer.run(insert('e'), rerun),
      committer.run(insertThenThrow('f'), rerun),
      committer.run(insert('g'), rerun),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual(['a', 'c', 'd', 'e', 'g']);
    expect(committer.stats).toEqual({ commits: 1, jobs: 7 });
  });

  it('after a busy batch the next commit waits so more jobs share its fsync; after a lone job it does not', async () => {
    const spaced = new GroupCommitter(db, undefined, { busyBatch: 3, gapFactor: 1e6, maxGapMs: 60 });
    await Promise.all([spaced.run(insert('a')), spaced.run(insert('b')), spaced.run(insert('c'))]);
    let t = performance.now();
    await spaced.run(insert('d'));
    expect(performance.now() - t).toBeGreaterThanOrEqual(45);
    t = performance.now();
    await spaced.run(insert('e'));
    expect(performance.now() - t).toBeLessThan(45);
    expect(rows()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('never runs a job twice unless it is rerunnable', async () => {
    const runs = new Map<string, number>();
    const counted = (v: string, work: () => unknown) => () => {
      runs.set(v, (runs.get(v) ?? 0) + 1);
      return work();
    };
    await Promise.allSettled([
      committer.run(counted('plain-1', insert('p1'))),
      committer.run(counted('shared-1', insert('s1')), { rerunnable: true }),
      committer.run(counted('plain-2', insert('p2'))),
      committer.run(counted('shared-2', insert('s2')), { rerunnable: true }),
      committer.run(counted('shared-3', insertThenThrow('s3')), { rerunnable: true }),
    ]);
    expect(runs.get('plain-1')).toBe(1);
    expect(runs.get('plain-2')).toBe(1);
    expect(runs.get('shared-2')).toBe(2); // rolled back with its thrown neighbour, then run alone
    expect(rows()).toEqual(['p1', 'p2', 's1', 's2']);
  });
});

describe('site store transitions under group commit', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SiteStore;
  const file = () => join(tmp.dir, 'site.db');

  beforeEach(() => {
    tmp = tempDir();
    store = new SiteStore(file(), 'site-a');
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  const storedVersion = (): number =>
    store.db.prepare(`SELECT Value FROM site_meta WHERE Key = 'version'`).pluck().get() as number;

  it('the row each transition returns is exactly the row stored', async () => {
    const op = await store.submit(input(1));
    expect(store.status(op.id)).toEqual(store.outbox.forOperation(op.id)[0]!.operation);
    await store.attemptFailed(op, refused, true, { durationMs: 1 });
    const events = store.outbox.forOperation(op.id);
    expect(events.map((e) => `${e.kind}/${e.status}`)).toEqual(['CachedSubmit/Submitted', 'ApiCallCached/Forwarded']);
    expect(store.status(op.id)).toEqual(events[1]!.operation);
    const retry = { ...store.buffer.get(op.id)! };
    await store.attemptSucceeded(retry, { durationMs: 1, httpStatus: 201 });
    const last = store.outbox.forOperation(op.id).at(-1)!;
    expect(last).toMatchObject({ kind: 'CachedResolve', status: 'Delivered' });
    expect(store.status(op.id)).toEqual(last.operation);
    expect(store.status(op.id)).toMatchObject({ status: 'Delivered', httpStatus: 201, retryCount: 0, lastError: null });
    const attempted = store.outbox.forOperation(op.id).at(-2)!;
    expect(attempted).toMatchObject({ kind: 'ApiCallCached', status: 'Attempted', httpStatus: 201 });
    expect(attempted.operation).toEqual({
      ...last.operation,
      status: 'Attempted',
      terminalAtUtc: null,
      version: attempted.operation!.version,
    });
    expect(attempted.operation!.version).toBeLessThan(last.operation!.version);
  });

  it('a permanent failure writes Attempted then Failed, each with its own version, and the row ends Failed', async () => {
    const op = await store.submit(input(2));
    const rejected = new DeliveryError('HTTP_STATUS', 'ERP.postOrder: HTTP 400', 'permanent', { httpStatus: 400 });
    expect(await store.attemptFailed(op, rejected, true, { durationMs: 1 })).toBe('Failed');
    const [, attempted, failed] = store.outbox.forOperation(op.id);
    expect(attempted).toMatchObject({ status: 'Attempted', operation: { status: 'Attempted', httpStatus: 400, terminalAtUtc: null } });
    expect(failed).toMatchObject({ status: 'Failed', operation: { status: 'Failed', httpStatus: 400 } });
    expect(store.status(op.id)).toEqual(failed!.operation);
    expect(attempted!.operation!.version).toBe(failed!.operation!.version - 1);
    expect(await store.attemptSucceeded(op, { durationMs: 1, httpStatus: 200 })).toBe(false); // terminal rows never change
    expect(store.status(op.id)).toEqual(failed!.operation);
  });

  it('versions stay unique and increasing when a job of the batch throws, and the counter is stored', async () => {
    const ops = await Promise.all(Array.from({ length: 20 }, (_, i) => store.submit(input(i))));
    const results = await Promise.allSettled([
      ...ops.slice(0, 10).map((op) => store.attemptFailed(op, refused, true, { durationMs: 1 })),
      store.retryParked(ops[10]!.id, 'alice'), // not parked: throws inside the shared run
      ...ops.slice(10).map((op) => store.attemptFailed(op, refused, true, { durationMs: 1 })),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const versions = store.tracking.changedSince(0, 1000).map((s) => s.version);
    expect(versions).toHaveLength(20);
    expect(new Set(versions).size).toBe(20);
    const all = ops.flatMap((op) => store.outbox.forOperation(op.id).map((e) => e.operation!.version));
    expect(new Set(all).size).toBe(40);
    expect(storedVersion()).toBeGreaterThanOrEqual(Math.max(...all));
  });

  it('takes versions after those another connection wrote between two batches', async () => {
    const a = await store.submit(input(1));
    const other = new SiteStore(file(), 'site-a'); // e.g. the CLI on the same file
    try {
      const b = await other.submit(input(2));
      const c = await store.submit(input(3));
      const va = store.status(a.id)!.version;
      const vb = store.status(b.id)!.version;
      const vc = store.status(c.id)!.version;
      expect(va).toBeLessThan(vb);
      expect(vb).toBeLessThan(vc);
    } finally {
      other.close();
    }
  });

  it('counts an audit write that failed once, even when its batch was run again', async () => {
    store.db.exec(`CREATE TRIGGER no_forwarded_audit BEFORE INSERT ON audit_outbox WHEN NEW.Status = 'Forwarded'
      BEGIN SELECT RAISE(ABORT, 'audit disk says no'); END`);
    const ops = await Promise.all([1, 2, 3].map((i) => store.submit(input(i))));
    const results = await Promise.allSettled([
      store.attemptFailed(ops[0]!, refused, true, { durationMs: 1 }),
      store.discardParked(ops[1]!.id, 'bob'), // throws: the shared run is rolled back and rerun
      store.attemptFailed(ops[2]!, refused, true, { durationMs: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.counters.auditWriteFailures).toBe(2);
    expect(store.status(ops[0]!.id)?.status).toBe(OperationStatus.Forwarded);
  });
});
