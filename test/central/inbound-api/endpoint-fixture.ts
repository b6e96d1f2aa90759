// A real central node serving a project with Inbound API methods (issue 11),
// and a caller for `POST /api/{method}`. The node keeps its failure log and
// Idempotency-Key records in its own central database (SQLite here), as it
// does by default; tests read them there.
import { join } from 'node:path';
import pino from 'pino';
import {
  type CentralNode,
  type CentralNodeOptions,
  type InboundFailureRow,
  type SqliteCentralRepository,
  createApiKey,
  startCentralNode,
} from '../../../src/central/index.js';
import { writeProject } from '../../support/project.js';

export const silent = pino({ level: 'silent' });

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** POSTs `body` (an object is sent as JSON; a string as it is) to /api/{method}. */
export async function callApi(
  node: CentralNode,
  method: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== undefined) headers['x-api-key'] = opts.key;
  let payload: string | undefined;
  if (typeof opts.body === 'string') payload = opts.body;
  else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const res = await fetch(`${node.url}/api/${method}`, { method: 'POST', headers, body: payload });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/**
 * The failures the node's failure log (the database one) recorded, oldest
 * first. Central is on SQLite here: a failure's row is written before its
 * answer is sent, so it is there when the caller has the answer.
 */
export async function recordedFailures(node: CentralNode): Promise<InboundFailureRow[]> {
  return (await node.repo.listInboundFailures({}, { limit: 10_000 })).items.reverse();
}

/**
 * Runs `fn` while the table `table` of the node's SQLite central database is
 * renamed away, so the real store over it fails as on a broken database; then
 * puts it back.
 */
export async function withoutTable<T>(node: CentralNode, table: 'InboundFailures' | 'InboundIdempotency', fn: () => Promise<T>): Promise<T> {
  const { db } = node.repo as SqliteCentralRepository;
  db.exec(`ALTER TABLE ${table} RENAME TO ${table}Away`);
  try {
    return await fn();
  } finally {
    db.exec(`ALTER TABLE ${table}Away RENAME TO ${table}`);
  }
}

export const METHOD_SCRIPTS: Readonly<Record<string, string>> = {
  'add.js': 'return Parameters.a + Parameters.b;',
  'echo.ts': `
const batch = Parameters.batch as { id: string; items: { qty: number }[] };
return { id: batch.id, total: batch.items.reduce((n, i) => n + i.qty, 0), note: Parameters.note ?? null };`,
  'pong.js': "return 'pong';",
  'loop.js': 'while (true) {}',
  'fail.js': "throw new Error('password=hunter2 in /etc/scadalink/secret.yaml: SELECT * FROM Accounts');",
  'bad-return.js': "return 'not a number';",
  'shared.js': "const S = Scripts; return await S.Call('helper', {});",
  'routed.js': "return await Route.To(Parameters.instance).Call('hello', { n: 1 });",
  'sqlite.js': `
const db = await Database.Connection('local');
await db.Execute('CREATE TABLE IF NOT EXISTS Readings (Id INTEGER PRIMARY KEY, Value REAL)');
await db.Execute('INSERT INTO Readings (Value) VALUES (?)', [Parameters.value]);
const rows = await db.Query('SELECT COUNT(*) AS n, SUM(Value) AS total FROM Readings');
return { count: rows[0].n, total: rows[0].total };`,
  'pg.js': `
const db = await Database.Connection('pg');
await db.Execute('CREATE TABLE IF NOT EXISTS readings (id SERIAL PRIMARY KEY, value DOUBLE PRECISION)');
const tx = await db.BeginTransaction();
await tx.Execute('INSERT INTO readings (value) VALUES ($1)', [Parameters.value]);
await tx.Commit();
const rows = await db.Query('SELECT COUNT(*)::int AS n, SUM(value) AS total FROM readings');
return { count: rows[0].n, total: rows[0].total };`,
  // Not a literal: scadalink validate would refuse the project (the run's own check is tested here).
  'unknown-db.js': "const name = ['now', 'here'].join(''); await Database.Connection(name); return 1;",
};

const INT = { type: 'Integer' };
const F = { type: 'Float' };

/** The project's `inboundApi`, with the PostgreSQL database `pgDatabase` (when given) as `pg`. */
export function inboundApi(pgDatabase?: string): Record<string, unknown> {
  return {
    databases: {
      local: { driver: 'sqlite', file: 'central-local.db' },
      ...(pgDatabase === undefined ? {} : { pg: { driver: 'postgres', host: '127.0.0.1', port: 5432, database: pgDatabase, user: 'postgres' } }),
    },
    methods: {
      Add: { parameters: { a: INT, b: INT }, returns: INT, apiKeys: ['mes'], script: 'add.js' },
      Echo: {
        parameters: {
          batch: { type: 'Object', fields: { id: { type: 'String' }, items: { type: 'List', items: { type: 'Object', fields: { qty: INT } } } } },
          note: { type: 'String', required: false },
        },
        returns: { type: 'Object', fields: { id: { type: 'String' }, total: INT, note: { type: 'String', required: false } } },
        apiKeys: ['mes'],
        script: 'echo.ts',
      },
      Ping: { returns: { type: 'String' }, apiKeys: ['mes', 'erp'], script: 'pong.js' },
      ErpOnly: { returns: { type: 'String' }, apiKeys: ['erp'], script: 'pong.js' },
      Loop: { apiKeys: ['mes'], timeout: '300ms', script: 'loop.js' },
      Fail: { apiKeys: ['mes'], script: 'fail.js' },
      BadReturn: { returns: INT, apiKeys: ['mes'], script: 'bad-return.js' },
      Shared: { apiKeys: ['mes'], script: 'shared.js' },
      Routed: { parameters: { instance: { type: 'String' } }, returns: { type: 'Object', fields: {}, required: false }, apiKeys: ['mes'], timeout: '2s', script: 'routed.js' },
      SqliteWrite: { parameters: { value: F }, returns: { type: 'Object', fields: { count: INT, total: F } }, apiKeys: ['mes'], script: 'sqlite.js' },
      ...(pgDatabase === undefined ? {} : { PgWrite: { parameters: { value: F }, returns: { type: 'Object', fields: { count: INT, total: F } }, apiKeys: ['mes'], script: 'pg.js' } }),
      UnknownDb: { returns: INT, apiKeys: ['mes'], script: 'unknown-db.js' },
    },
  };
}

/** Writes the project (instance Pump1 at plant1, which is not connected) into `<dir>/project` and starts a central node on it, with keys `mes` and `erp`. */
export async function startApiCentral(
  dir: string,
  extra: Partial<CentralNodeOptions> & { pgDatabase?: string; scripts?: Record<string, string>; api?: Record<string, unknown> } = {},
): Promise<{ node: CentralNode; keys: { mes: string; erp: string }; projectDir: string }> {
  const { pgDatabase, scripts, api, ...options } = extra;
  const projectDir = writeProject(
    join(dir, 'project'),
    { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1' } }, inboundApi: api ?? inboundApi(pgDatabase) },
    { ...METHOD_SCRIPTS, ...scripts },
  );
  const node = await startCentralNode({ dataDir: join(dir, 'data'), port: 0, grpcPort: 0, logger: silent, maintenanceOnStart: false, projectDir, ...options });
  const mes = (await createApiKey(node.repo, 'test', 'mes')).key;
  const erp = (await createApiKey(node.repo, 'test', 'erp')).key;
  return { node, keys: { mes, erp }, projectDir };
}
