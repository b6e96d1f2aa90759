import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel, newTrackedOperationId } from '../../src/commons/index.js';
import { SiteStore, type SubmitInput, StoreAndForwardEngine, siteCommandHandler } from '../../src/site/index.js';
import { type DurableSync, GroupCommitter } from '../../src/site/store/group-commit.js';
import { WalSync } from '../../src/site/store/wal-sync.js';
import { tempDir } from '../support/index.js';

const input = (n: number): SubmitInput => ({
  id: newTrackedOperationId(),
  channel: Channel.ApiOutbound,
  target: 'ERP',
  targetSummary: 'ERP.postOrder',
  request: { orderId: `O${n}` },
  maxRetries: 3,
  retryIntervalMs: 60_000,
  sourceInstanceId: 'Pump1',
  sourceScript: 'report',
});

/**
 * The real WAL sync, whose end (after the real fdatasync returned) the test
 * releases: what callers and readers see while a batch awaits its sync.
 */
function heldSync(inner: DurableSync) {
  const held: (() => void)[] = [];
  const started: (() => void)[] = [];
  const sync: DurableSync = {
    relax: () => inner.relax(),
    restore: () => inner.restore(),
    syncNow: () => inner.syncNow(),
    sync: (done) => {
      inner.sync((err) => held.push(() => done(err)));
      for (const s of started.splice(0)) s();
    },
  };
  return {
    sync,
    /** Resolves once a sync has started (its batch has COMMITted). */
    started: () => new Promise<void>((resolve) => started.push(resolve)),
    /** Lets the synced batches settle; resolves once the real fdatasync of each returned. */
    release: async () => {
      while (held.length === 0) await new Promise((resolve) => setImmediate(resolve));
      for (const end of held.splice(0)) end();
    },
  };
}

const settledYet = async (p: Promise<unknown>): Promise<boolean> => {
  let settled = false;
  void p.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

describe('issue 10 point 4: the fsync of a group commit runs off the event loop, and nobody hears of a batch before it', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('issue 10 point 4: a batch is answered only after its WAL sync; the loop runs meanwhile and the next batch waits', async () => {
    const file = join(tmp.dir, 'g.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    const wal = WalSync.open(db, file)!;
    expect(wal).toBeDefined();
    const hold = heldSync(wal);
    const committer = new GroupCommitter(db, undefined, { durable: hold.sync });
    const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    const rows = (): string[] => db.prepare('SELECT v FROM t ORDER BY v').pluck().all() as string[];
    try {
      const started = hold.started();
      const first = [committer.run(insert('a')), committer.run(insert('b'))];
      await started;
      // Committed, not yet answered; every other write on the connection is still FULL.
      expect(rows()).toEqual(['a', 'b']);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(await settledYet(first[0]!)).toBe(false);
      const second = committer.run(insert('c'));
      await new Promise((resolve) => setTimeout(resolve, 5)); // the loop runs timers while the sync is held
      expect(rows()).toEqual(['a', 'b']); // the next batch gathers until the sync returns
      const next = hold.started();
      await hold.release();
      expect(await Promise.all(first)).toEqual([1, 1]);
      await next;
      expect(await settledYet(second)).toBe(false);
      await hold.release();
      expect(await second).toBe(1);
      expect(committer.stats).toEqual({ commits: 2, jobs: 3 });
    } finally {
      db.close();
      wal.close();
    }
  });

  it('issue 10 point 4: flush() on shutdown syncs and answers the batch awaiting its sync, then the queued jobs', async () => {
    const file = join(tmp.dir, 'f.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    const wal = WalSync.open(db, file)!;
    const hold = heldSync(wal);
    const committer = new GroupCommitter(db, undefined, { durable: hold.sync });
    const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    try {
      const started = hold.started();
      const first = committer.run(insert('a'));
      await started;
      const queued = committer.run(insert('b'));
      committer.flush();
      expect(await Promise.all([first, queued])).toEqual([1, 1]);
      await hold.release(); // the thread pool's late answer changes nothing
      expect(committer.stats).toEqual({ commits: 2, jobs: 2 });
    } finally {
      db.close();
      wal.close();
    }
  });

  it('issue 10 point 4: a WAL sync that fails rejects every job of its batch with an error that says so, and the next batch goes on', async () => {
    const file = join(tmp.dir, 'e.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    const wal = WalSync.open(db, file)!;
    let failNext = true;
    const failing: DurableSync = {
      relax: () => wal.relax(),
      restore: () => wal.restore(),
      syncNow: () => wal.syncNow(),
      // The real sync runs; the first one is reported as failed (EIO), as the disk would.
      sync: (done) => wal.sync((err) => done(failNext ? ((failNext = false), Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : err)),
    };
    const committer = new GroupCommitter(db, undefined, { durable: failing });
    const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    try {
      const outcomes = await Promise.allSettled([committer.run(insert('a')), committer.run(insert('b'))]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/not known to be durable: syncing the WAL failed \(EIO/);
      expect(await committer.run(insert('c'))).toBe(1);
    } finally {
      db.close();
      wal.close();
    }
  });

  it('issue 10 point 4: rows of a batch awaiting its sync are neither pulled by central, sent as telemetry nor announced', async () => {
    let hold: ReturnType<typeof heldSync> | undefined;
    const store = new SiteStore(join(tmp.dir, 'site.db'), 'site-a', {
      wrapSync: (sync) => (hold = heldSync(sync)).sync,
    });
    const engine = new StoreAndForwardEngine({ store, handlers: {}, logger: pino({ level: 'silent' }) });
    const pull = siteCommandHandler(engine, store);
    const pulled = async (): Promise<string[]> => {
      const reply = await pull({ pullTracking: { afterVersion: 0, limit: 100 } } as never);
      return (reply as { trackingPage: { rows: { trackedOperationId: string }[] } }).trackingPage.rows.map((r) => r.trackedOperationId);
    };
    const telemetry = (): string[] => store.outbox.page(0, 100, store.durableAuditSeq()).map((e) => e.event.trackedOperationId!);
    try {
      expect(hold).toBeDefined();
      let started = hold!.started();
      const a = store.submit(input(1));
      await started;
      await hold!.release();
      const first = await a;
      expect(await pulled()).toEqual([first.id]);

      started = hold!.started();
      const second = input(2);
      const secondId = second.id;
      const b = store.submit(second);
      await started;
      expect(store.status(secondId)?.status).toBe('Submitted'); // committed: a local read sees it
      expect(await pulled()).toEqual([first.id]);
      expect(telemetry()).toEqual([first.id]);
      const announced = store.waitFor(secondId, ['Submitted']);
      expect(await settledYet(announced)).toBe(false);
      expect(await settledYet(b)).toBe(false);

      await hold!.release();
      expect((await b).id).toBe(secondId);
      expect((await announced).status).toBe('Submitted');
      expect(await pulled()).toEqual([first.id, secondId]);
      expect(telemetry()).toEqual([first.id, secondId]);
    } finally {
      await engine.stop(1000);
      store.close();
    }
  });
});
