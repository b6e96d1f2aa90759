// Central on PostgreSQL survives the server closing its idle connections (a
// restart, pg_terminate_backend): the pool drops them and the next query
// connects afresh. Without an error listener on the pool, the closed
// connection's error would end the process (and fail this run).
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { PostgresCentralRepository } from '../../../src/central/index.js';
import { PG, createPgDatabase } from '../../support/index.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it('keeps serving after the server terminates its idle pooled connections', async () => {
  const db = await createPgDatabase('sl_central');
  const repo = await PostgresCentralRepository.open(`postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`);
  cleanup = async () => {
    await repo.close();
    await db.drop();
  };
  await repo.putSite('plant-a', 'hash');
  expect(repo.pool.idleCount).toBeGreaterThan(0);

  // (events.once would reject on the pool's 'error', which is what happens here.)
  const removed = new Promise((resolve) => repo.pool.once('remove', resolve));
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  try {
    const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.database]);
    expect(r.rowCount).toBeGreaterThan(0);
  } finally {
    await admin.end();
  }
  await removed;
  expect(await repo.site('plant-a')).toMatchObject({ name: 'plant-a', secretHash: 'hash' });
});
