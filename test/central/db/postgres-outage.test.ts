// Issue 8, point 8: central on PostgreSQL survives a connection dying while it
// holds it (inside a transaction, holding a singleton's advisory lock), and a
// server that cannot be reached at start is waited for, then named. A
// connection killed under a checked-out client with no `error` listener would
// end this test process ("Unhandled 'error' event"), failing the run.
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { PostgresCentralRepository } from '../../../src/central/index.js';
import { inTransaction } from '../../../src/central/db/pg-connection.js';
import { ScadaLinkError } from '../../../src/commons/index.js';
import { PG, createPgDatabase } from '../../support/index.js';
import { closedPort } from '../../support/net.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  const c = cleanup;
  cleanup = undefined;
  await c?.();
});

async function openRepo(): Promise<PostgresCentralRepository> {
  const db = await createPgDatabase('sl_outage');
  const repo = await PostgresCentralRepository.open(`postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`);
  cleanup = async () => {
    await repo.close();
    await db.drop();
  };
  return repo;
}

/** Terminates the backend `pid` from a separate admin connection. */
async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  try {
    const r = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
    expect(r.rows[0]?.ok).toBe(true);
  } finally {
    await admin.end();
  }
}

it('issue 8 a transaction whose connection is killed mid-way rejects, leaves nothing behind, and its client is destroyed, not pooled', async () => {
  const repo = await openRepo();
  const removed = new Promise((resolve) => repo.pool.once('remove', resolve));
  const attempt = inTransaction(repo.pool, async (client) => {
    await client.query(`INSERT INTO sites (name, secret_hash, created_at_utc) VALUES ('plant-x', 'h', now())`);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // The server goes away while the transaction is open and the client idle.
    await terminate(rows[0]!.pid);
    await client.query('SELECT 1');
  });
  await expect(attempt).rejects.toThrow();
  await removed;
  expect(await repo.site('plant-x')).toBeUndefined();
  // The next transaction runs on a fresh connection.
  await repo.putSite('plant-y', 'h');
  expect(await repo.site('plant-y')).toMatchObject({ name: 'plant-y' });
});

it('issue 8 a singleton whose advisory-lock connection is killed is told (lost aborts) and exclusive rejects SINGLETON_LOCK_LOST', async () => {
  const repo = await openRepo();
  let sawLost = false;
  const run = repo.exclusive('purge', async (lost) => {
    const { rows } = await repo.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows).toHaveLength(1);
    await terminate(rows[0]!.pid);
    if (!lost.aborted) await new Promise((resolve) => lost.addEventListener('abort', resolve));
    sawLost = lost.aborted;
  });
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(sawLost).toBe(true);
  expect(err).toBeInstanceOf(ScadaLinkError);
  expect((err as ScadaLinkError).code).toBe('SINGLETON_LOCK_LOST');
  // The lock went with the connection: the job can be taken again at once.
  expect(await repo.exclusive('purge', async () => undefined)).toBe(true);
});

it('issue 8 start against a PostgreSQL that cannot be reached retries for the wait, then fails DATABASE_UNREACHABLE naming host and port', async () => {
  const port = await closedPort();
  const retries: unknown[] = [];
  const started = Date.now();
  const err = await PostgresCentralRepository.open(`postgres://postgres:s3cret@127.0.0.1:${port}/central`, {
    waitMs: 1_500,
    onRetry: (e) => retries.push(e),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScadaLinkError);
  expect((err as ScadaLinkError).code).toBe('DATABASE_UNREACHABLE');
  expect((err as Error).message).toContain(`127.0.0.1:${port}/central`);
  expect((err as Error).message).not.toContain('s3cret');
  expect(retries.length).toBeGreaterThanOrEqual(2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
});

it('issue 8 a schema error at start is not retried: it fails at once with its own error', async () => {
  const db = await createPgDatabase('sl_outage_new');
  const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
  cleanup = () => db.drop();
  const admin = new pg.Client({ ...PG, database: db.database });
  await admin.connect();
  await admin.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at_utc timestamptz NOT NULL);
    INSERT INTO schema_migrations VALUES (9999, 'future', now())`);
  await admin.end();
  const started = Date.now();
  const err = await PostgresCentralRepository.open(url, { waitMs: 10_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as ScadaLinkError).code).toBe('SCHEMA_TOO_NEW');
  expect(Date.now() - started).toBeLessThan(5_000);
});
