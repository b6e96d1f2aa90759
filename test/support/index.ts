// Shared test helpers: real files, real servers on loopback, real databases.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;
export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'scadalink-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

/** Creates an empty PostgreSQL database on the local server; drop() removes it. */
export async function createPgDatabase(prefix = 'sl_test'): Promise<{ database: string; drop: () => Promise<void> }> {
  const database = uniqueName(prefix);
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    database,
    drop: async () => {
      const c = new pg.Client({ ...PG, database: 'postgres' });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Creates an empty MariaDB database on the local server; drop() removes it. */
export async function createMysqlDatabase(prefix = 'sl_test'): Promise<{ database: string; drop: () => Promise<void> }> {
  const database = uniqueName(prefix);
  const admin = await mysql.createConnection({ ...MYSQL });
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  return {
    database,
    drop: async () => {
      const c = await mysql.createConnection({ ...MYSQL });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await c.end();
      }
    },
  };
}
