// Issue 8, point 0: authorisation is decided by the route that will run, never
// by the raw URL. Every admin route of both nodes is requested without a token
// under every spelling a router may fold onto it (percent-encoded letters and
// slashes, absolute-form request lines, double slashes, dot segments, trailing
// slashes, mixed case, `;` parameters, backslashes); each answer must be the
// admin context's 401, the router's 404, or the HTTP parser's 400 for a
// request line it cannot read; never a handler's.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../src/commons/index.js';
import { type CentralNode, createToken, startCentralNode } from '../../src/central/index.js';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';
import { rawRequest } from '../support/raw-http.js';

const logger = pino({ level: 'silent' });
const hex = (c: string): string => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Every spelling of `path` this test tries (the canonical one first). */
export function spellings(path: string, port: number): string[] {
  const out = new Set<string>([path]);
  const letters = [...path].map((c, i) => (/[a-z]/i.test(c) ? i : -1)).filter((i) => i >= 0);
  const slashes = [...path].map((c, i) => (c === '/' ? i : -1)).filter((i) => i >= 0);
  const at = (i: number, s: string): string => path.slice(0, i) + s + path.slice(i + 1);
  for (const i of letters) {
    out.add(at(i, hex(path[i]!)));
    out.add(at(i, hex(path[i]!).toUpperCase()));
    out.add(at(i, path[i]!.toUpperCase()));
  }
  out.add([...path].map((c) => (/[a-z]/i.test(c) ? hex(c) : c)).join(''));
  out.add(path.toUpperCase());
  out.add(path.replace(/\/([a-z])/g, (_m, c: string) => `/${c.toUpperCase()}`));
  for (const i of slashes) {
    if (i > 0) out.add(at(i, '%2F'));
    if (i > 0) out.add(at(i, '%2f'));
    out.add(at(i, '//'));
    out.add(at(i, '/./'));
    out.add(at(i, '/x/../'));
    out.add(at(i, '/%2e/'));
    out.add(at(i, '/x/%2E%2E/'));
    out.add(at(i, '\\'));
    const end = path.indexOf('/', i + 1);
    const segmentEnd = end < 0 ? path.length : end;
    out.add(`${path.slice(0, segmentEnd)};x=1${path.slice(segmentEnd)}`);
    out.add(`${path.slice(0, segmentEnd)};${path.slice(segmentEnd)}`);
  }
  out.add(`/${path}`);
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}/.`);
  out.add(`${path}?`);
  out.add(`${path}?x=1`);
  out.add(`${path}#f`);
  out.add(path.replaceAll('/', '\\'));
  for (const origin of [`http://127.0.0.1`, `http://127.0.0.1:${port}`, `HTTP://LOCALHOST:${port}`, `https://127.0.0.1`]) {
    out.add(`${origin}${path}`);
    out.add(`${origin}${path.replace('/admin', '/%61dmin')}`);
  }
  return [...out];
}

interface Route {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

/** Sends every spelling of every route without a token; returns the answers that were not a 401 or the router's 404. */
async function leaks(port: number, routes: readonly Route[]): Promise<{ request: string; status: number; body: string }[]> {
  const found: { request: string; status: number; body: string }[] = [];
  for (const route of routes) {
    for (const target of spellings(route.path, port)) {
      const answer = await rawRequest(port, route.method, target, { body: route.body });
      const code = (answer.json as { error?: { code?: string } } | undefined)?.error?.code;
      // 400 BAD_REQUEST / BAD_URL: refused by the HTTP parser or the router before any route was chosen.
      const refused =
        (answer.status === 401 && code === 'ADMIN_UNAUTHORIZED') ||
        (answer.status === 404 && code === 'NOT_FOUND') ||
        (answer.status === 400 && (code === 'BAD_REQUEST' || code === 'BAD_URL'));
      if (!refused) found.push({ request: `${route.method} ${target}`, status: answer.status, body: answer.body.slice(0, 200) });
    }
  }
  return found;
}

describe('issue 8 point 0: no spelling of an admin route reaches its handler without a token', () => {
  const id = newTrackedOperationId();
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralNode;
  let site: SiteNode;
  let centralPort: number;
  let sitePort: number;
  let operatorToken: string;

  const centralRoutes: Route[] = [
    { method: 'GET', path: '/admin/api/kpis' },
    { method: 'GET', path: '/admin/api/site-calls' },
    { method: 'GET', path: `/admin/api/site-calls/${id}` },
    { method: 'GET', path: '/admin/api/sites' },
    { method: 'POST', path: '/admin/api/deployments' },
    { method: 'POST', path: `/admin/api/site-calls/${id}/retry` },
    { method: 'POST', path: `/admin/api/site-calls/${id}/discard` },
    { method: 'GET', path: '/admin/api/tokens' },
    { method: 'POST', path: '/admin/api/tokens/nobody/revoke' },
    { method: 'POST', path: '/admin/api/sites/plant9/disable' },
    { method: 'POST', path: '/admin/api/sites/plant9/enable' },
    { method: 'DELETE', path: '/admin/api/sites/plant9' },
    { method: 'GET', path: '/admin/api/deployments' },
    { method: 'GET', path: '/admin/api/deployments/1' },
    { method: 'POST', path: '/admin/api/deployments/1/rollback' },
    { method: 'GET', path: '/admin/api/audit' },
    { method: 'GET', path: '/admin/api/api-keys' },
    { method: 'POST', path: '/admin/api/api-keys', body: '{"name":"spelled"}' },
    { method: 'POST', path: '/admin/api/api-keys/spelled/disable' },
    { method: 'POST', path: '/admin/api/api-keys/spelled/enable' },
    { method: 'DELETE', path: '/admin/api/api-keys/spelled' },
  ];
  const siteRoutes: Route[] = [
    { method: 'GET', path: `/admin/api/operations/${id}` },
    { method: 'GET', path: '/admin/api/parked' },
    { method: 'POST', path: `/admin/api/operations/${id}/retry` },
    { method: 'POST', path: `/admin/api/operations/${id}/discard` },
    { method: 'POST', path: '/admin/api/instances/Pump1/scripts/hello/call', body: '{}' },
    { method: 'GET', path: '/admin/api/instances/Pump1/attributes' },
    { method: 'PUT', path: '/admin/api/instances/Pump1/attributes/Flow', body: '{"value":1}' },
    { method: 'GET', path: '/admin/api/events' },
  ];

  beforeAll(async () => {
    tmp = tempDir();
    central = await startCentralNode({ dataDir: join(tmp.dir, 'central'), port: 0, grpcPort: 0, logger, maintenanceOnStart: false });
    operatorToken = await createToken(central.repo, 'alice', 'Admin');
    centralPort = Number(new URL(central.url).port);
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', attributes: { Flow: { type: 'number', initial: 0 } }, scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } },
      },
      { 'hello.js': `return 'hello';` },
    );
    site = await startSiteNode({ projectDir, dataDir: join(tmp.dir, 'site'), port: 0, logger, adminToken: 'site-admin-token' });
    sitePort = Number(new URL(site.url).port);
  });
  afterAll(async () => {
    await site?.stop();
    await central?.stop();
    tmp.cleanup();
  });

  it('every listed route is real: with a token its canonical spelling reaches the handler', async () => {
    for (const [port, routes, token] of [
      [centralPort, centralRoutes, operatorToken],
      [sitePort, siteRoutes, 'site-admin-token'],
    ] as const) {
      for (const route of routes) {
        const answer = await rawRequest(port, route.method, route.path, { body: route.body, headers: { authorization: `Bearer ${token}` } });
        const code = (answer.json as { error?: { code?: string } } | undefined)?.error?.code;
        expect({ route: `${route.method} ${route.path}`, status: answer.status, code }).not.toMatchObject({ status: 401 });
        expect(code, `${route.method} ${route.path}`).not.toBe('NOT_FOUND');
      }
    }
  });

  it('central: every spelling of every admin route answers 401 ADMIN_UNAUTHORIZED, 404 NOT_FOUND or 400 before routing', async () => {
    expect(spellings('/admin/api/kpis', centralPort).length).toBeGreaterThan(50);
    expect(await leaks(centralPort, centralRoutes)).toEqual([]);
  });

  it('site: every spelling of every admin route answers 401 ADMIN_UNAUTHORIZED, 404 NOT_FOUND or 400 before routing', async () => {
    expect(await leaks(sitePort, siteRoutes)).toEqual([]);
  });

  it('the spellings the probe found answer 401 (not the handler) on both nodes', async () => {
    for (const target of ['/%61dmin/api/kpis', `http://127.0.0.1/admin/api/kpis`]) {
      expect((await rawRequest(centralPort, 'GET', target)).status).toBe(401);
    }
    expect((await rawRequest(centralPort, 'POST', '/%61dmin/api/deployments')).status).toBe(401);
    expect((await rawRequest(sitePort, 'PUT', '/%61dmin/api/instances/Pump1/attributes/Flow', { body: '{"value":5}' })).status).toBe(401);
    expect((await rawRequest(sitePort, 'GET', '/%61dmin/api/events')).status).toBe(401);
    expect(site.runtime?.getAttribute('Pump1', 'Flow')).not.toBe(5);
  });
});
