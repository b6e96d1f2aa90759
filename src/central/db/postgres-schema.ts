// The central PostgreSQL schema: its migrations, applied once across central
// nodes under an advisory lock, and the months of AuditLog's partitions.
import { join } from 'node:path';
import type pg from 'pg';
import { type Migration, packageRoot, schemaTooNew } from '../../commons/index.js';
import { inTransaction } from './pg-connection.js';

/** pg_advisory_xact_lock key that serialises migrations and partition creation across central nodes. */
export const SCHEMA_LOCK = 7_305_001;

export function centralPostgresMigrationsDir(): string {
  return join(packageRoot(), 'sql', 'central', 'postgres');
}

/** Applies pending migrations in one transaction under an advisory lock; refuses a newer schema. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[]): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at_utc timestamptz NOT NULL)`);
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    const known = migrations.at(-1)?.version ?? 0;
    if (current > known) throw schemaTooNew(current, known);
    let applied = 0;
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at_utc) VALUES ($1, $2, now())', [
        m.version,
        m.name,
      ]);
      applied++;
    }
    return applied;
  });
}

/** 'YYYY-MM' of an ISO time (UTC). */
export function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
