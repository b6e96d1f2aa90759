import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ScadaLinkError } from './errors.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Reads `NNNN_name.sql` files from a folder, in order (STYLE §4). */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/**
 * Applies pending migrations inside one IMMEDIATE transaction, which is the
 * lock: a second process opening the same file waits, then sees them applied.
 * Refuses a database whose schema is newer than this code knows.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    Version INTEGER PRIMARY KEY, Name TEXT NOT NULL, AppliedAtUtc TEXT NOT NULL)`);
  const known = migrations.at(-1)?.version ?? 0;
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT MAX(Version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > known) throw schemaTooNew(current, known);
    const record = db.prepare('INSERT INTO schema_migrations (Version, Name, AppliedAtUtc) VALUES (?, ?, ?)');
    let applied = 0;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied++;
    }
    return applied;
  });
  return apply.immediate();
}

/** A database migrated by a newer ScadaLink: refused rather than misread. */
export function schemaTooNew(current: number, known: number): ScadaLinkError {
  return new ScadaLinkError(
    'SCHEMA_TOO_NEW',
    `database schema version ${current} is newer than this ScadaLink knows (${known}); upgrade ScadaLink`,
    { details: { current, known } },
  );
}
