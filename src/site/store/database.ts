import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite, packageRoot, readMigrations } from '../../commons/index.js';

export type SynchronousMode = 'FULL' | 'NORMAL' | 'OFF';

export interface OpenOptions {
  /** DESIGN §5: FULL unless configured otherwise. */
  readonly synchronous?: SynchronousMode;
  readonly readonly?: boolean;
}

export const SITE_DB_FILE = 'site.db';

export function siteMigrationsDir(): string {
  return join(packageRoot(), 'sql', 'site');
}

/** Opens (and migrates) the site's SQLite file in WAL mode. */
export function openSiteDatabase(file: string, options: OpenOptions = {}): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  // Another process (the CLI) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db, readMigrations(siteMigrationsDir()));
  return db;
}
