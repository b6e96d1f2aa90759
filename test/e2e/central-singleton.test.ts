// Central issue, point 9, with real processes: two `scadalink central`
// processes on one PostgreSQL database run the daily purge exactly once
// between them (advisory lock + the day's claim), and it removes only what is
// past its retention.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresCentralRepository } from '../../src/central/index.js';
import { newTrackedOperationId } from '../../src/commons/index.js';
import { step } from '../central/db/events.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess } from '../support/process.js';

describe('two central processes on one PostgreSQL database', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let url: string;
  let nodes: SiteProcess[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_central_procs');
    url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.terminate()));
    nodes = [];
    await db.drop();
    tmp.cleanup();
  });

  it('point 9: the purge runs exactly once between them and removes only terminal rows past retention', async () => {
    const old = newTrackedOperationId();
    const open = newTrackedOperationId();
    const repo = await PostgresCentralRepository.open(url);
    const delivered = step(old, 'CachedResolve', 'Delivered', 3);
    await repo.ingest('plant-a', [
      { ...delivered, operation: { ...delivered.operation!, updatedAtUtc: '2020-01-01T00:00:00.000Z' } },
      step(open, 'CachedResolve', 'Parked', 4),
    ]);
    await repo.close();

    const args = (i: number): string[] => ['--data', `${tmp.dir}/n${i}`, '--database-url', url, '--port', '0', '--grpc-port', '0', '--site-call-retention', '1'];
    nodes = await Promise.all([SiteProcess.central(args(0)), SiteProcess.central(args(1))]);
    // Each node settles its start-up purge one way or the other.
    await Promise.all(nodes.map((n) => Promise.race([n.line('central purge done'), n.line('central purge skipped')])));
    const done = nodes.filter((n) => n.output.includes('central purge done'));
    expect(done).toHaveLength(1);
    expect(done[0]!.lines.find((l) => l.includes('central purge done'))).toContain('"siteCalls":1');

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = await c.query<{ tracked_operation_id: string }>('SELECT tracked_operation_id FROM site_calls');
      expect(rows.rows.map((r) => r.tracked_operation_id)).toEqual([open]);
      const jobs = await c.query('SELECT * FROM jobs');
      expect(jobs.rowCount).toBe(1);
    } finally {
      await c.end();
    }
  });
});
