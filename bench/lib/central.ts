// A scratch central database for a bench run: SQLite in the run's scratch
// directory, or a fresh database on the local PostgreSQL, dropped afterwards.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresCentralRepository, SqliteCentralRepository, type CentralRepository } from '../../src/central/index.js';
import { next } from './sink.js';

/** The site the lag bench registers at its central. */
export const BENCH_SITE = { name: 'bench-site', secret: 'bench-secret' } as const;

const ADMIN = { host: '127.0.0.1', user: 'postgres', database: 'postgres' } as const;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client(ADMIN);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function scratchCentral(
  engine: string,
  dir: string,
): Promise<{ repo: CentralRepository; drop: () => Promise<void>; url?: string }> {
  if (engine === 'sqlite') {
    const repo = new SqliteCentralRepository(join(dir, 'central.db'));
    return { repo, drop: () => repo.close() };
  }
  if (engine !== 'postgres') throw new Error('--engine is sqlite or postgres');
  const db = await scratchPgDatabase();
  const repo = await PostgresCentralRepository.open(db.url);
  return {
    repo,
    url: db.url,
    drop: async () => {
      await repo.close();
      await db.drop();
    },
  };
}

/** A fresh, empty database on the local PostgreSQL; `drop` removes it (connections still open included). */
export async function scratchPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = `sl_bench_${process.pid}_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE ${database}`);
  return {
    url: `postgres://${ADMIN.user}@${ADMIN.host}:5432/${database}`,
    drop: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}

/** Central (scratch database + site link) in its own process: see central-child.ts. */
export async function centralProcess(engine: string, dir: string): Promise<{ port: number; lags(from: string, to: string): Promise<number[]>; close(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./central-child.js', import.meta.url)), [engine, dir], { execArgv: ['--no-node-snapshot'], stdio: 'inherit' });
  const { port } = await next<{ port: number }>(child, 'listening');
  return {
    port,
    lags: async (from, to) => {
      child.send({ type: 'lags', from, to });
      return (await next<{ lags: number[] }>(child, 'lags')).lags;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
