// In-process central nodes for the web UI's tests (issue 12, point 1): real
// SQLite or PostgreSQL, real HTTP on loopback, the log captured in memory.
import pino from 'pino';
import { type CentralNode, type CentralNodeOptions, addUser, startCentralNode } from '../../../src/central/index.js';
import type { OperatorRole } from '../../../src/central/index.js';
import { PG, createPgDatabase, tempDir } from '../../support/index.js';

export type Engine = 'sqlite' | 'postgres';

export interface UiFixture {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  /** Every log line of every node started on the fixture. */
  readonly log: string[];
  start(options?: Partial<CentralNodeOptions>): Promise<CentralNode>;
  close(): Promise<void>;
}

export async function uiFixture(engine: Engine): Promise<UiFixture> {
  const tmp = tempDir();
  const db = engine === 'postgres' ? await createPgDatabase('sl_ui') : undefined;
  const databaseUrl = db === undefined ? undefined : `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
  const log: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void log.push(line) });
  const nodes: CentralNode[] = [];
  return {
    dataDir: tmp.dir,
    databaseUrl,
    log,
    async start(options = {}) {
      const node = await startCentralNode({ dataDir: tmp.dir, databaseUrl, port: 0, grpcPort: 0, logger, maintenanceOnStart: false, ...options });
      nodes.push(node);
      return node;
    },
    async close() {
      for (const n of nodes) await n.stop();
      await db?.drop();
      tmp.cleanup();
    },
  };
}

export async function user(node: CentralNode, name: string, role: OperatorRole, password: string): Promise<void> {
  await addUser(node.repo, 'test', name, role, password);
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** POST /ui/login as a browser's form would (no redirect following). */
export function signIn(node: CentralNode, name: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${node.url}/ui/login`, {
    method: 'POST',
    headers: { ...FORM, ...headers },
    body: new URLSearchParams({ name, password }).toString(),
    redirect: 'manual',
  });
}

/** The `name=value` of a Set-Cookie header, for a Cookie header. */
export function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie');
  if (set === null) throw new Error(`no Set-Cookie (status ${res.status})`);
  return set.split(';')[0]!;
}

/** Signs in (expecting success) and returns the Cookie header value. */
export async function session(node: CentralNode, name: string, password: string): Promise<string> {
  const res = await signIn(node, name, password);
  if (res.status !== 303) throw new Error(`sign-in of ${name} answered ${res.status}`);
  return cookieOf(res);
}

export function get(node: CentralNode, path: string, cookie?: string): Promise<Response> {
  return fetch(`${node.url}${path}`, { headers: cookie === undefined ? {} : { cookie }, redirect: 'manual' });
}

export function post(node: CentralNode, path: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { ...FORM, cookie, ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/** The CSRF token of the session, as the home page's sign-out form carries it. */
export async function csrfOf(node: CentralNode, cookie: string): Promise<string> {
  const html = await (await get(node, '/ui/', cookie)).text();
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (m === null) throw new Error('no CSRF field on /ui/');
  return m[1]!;
}
