// Issue 8 point 1: a secret from the environment written into an external
// system's base URL (and its API key header) never leaves the site in error
// text, when the remote echoes the request back: not to the script, the admin
// API, the tracking row, the audit outbox (and so central), the event log or
// the site's log. A real loopback server echoes every request it refuses.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

const TOKEN = `TkN-${randomBytes(8).toString('hex')}`;
const KEY = `Ky/${randomBytes(6).toString('base64url')}+x==`;
// A database password that a remote (MES, say, a proxy that knows it) puts in its answer.
const DB_PASSWORD = `Db-${randomBytes(8).toString('hex')}`;

/** Every form the test's secrets could be written in. */
const FORMS = [TOKEN, KEY, encodeURIComponent(KEY), new URLSearchParams({ k: KEY }).toString().slice(2), DB_PASSWORD];

function leaked(text: string): string[] {
  return FORMS.filter((f) => text.includes(f));
}

// Refuses every request, echoing what it was sent: the URL (with the token),
// the API key raw, URL-encoded and form-encoded, and the headers as JSON.
function echo(req: IncomingMessage, res: ServerResponse): void {
  const key = String(req.headers['x-api-key'] ?? '');
  const status = req.url?.startsWith('/api/fail500') === true ? 500 : 404;
  res.writeHead(status, { 'content-type': 'text/plain' });
  const extra = req.url?.startsWith('/mes') === true ? ` upstream password ${DB_PASSWORD}` : '';
  res.end(`no ${req.method} ${req.url}${extra} key=${key} enc=${encodeURIComponent(key)} ${new URLSearchParams({ k: key }).toString()} ${JSON.stringify(req.headers)}`);
}

const SCRIPTS = {
  'sync.js': `
    try { await ExternalSystem.Call('ERP', 'missing', {}); return 'no error'; }
    catch (e) { await log.warn('call failed: ' + e.message); return { code: e.code, message: e.message, stack: String(e.stack) }; }`,
  'cached.js': `
    try { return await ExternalSystem.CachedCall('ERP', 'missing', {}); }
    catch (e) { return { code: e.code, message: e.message, id: e.trackedOperationId }; }`,
  'parked.js': `return await ExternalSystem.CachedCall('ERP', 'broken', { v: 'x' });`,
  'mes.js': `
    try { await ExternalSystem.Call('MES', 'get', {}); return 'no error'; }
    catch (e) { return { code: e.code, message: e.message }; }`,
  'uncaught.js': `await ExternalSystem.Call('ERP', 'missing', {}); return 'no error';`,
};

describe('issue 8: configured secrets are redacted from errors, logs, events and audit rows', () => {
  let tmp: ReturnType<typeof tempDir>;
  let remote: Server;
  let node: SiteNode;
  let dataDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    tmp = tempDir();
    remote = createServer(echo);
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    const port = (remote.address() as AddressInfo).port;
    const dir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: { site: 'plant1', scripts: Object.fromEntries(Object.keys(SCRIPTS).map((f) => [f.replace('.js', ''), { file: f, triggers: ['call'] }])) },
        },
        externalSystems: {
          ERP: {
            baseUrl: `http://127.0.0.1:${port}/api?token=\${ERP_TOKEN}`,
            auth: { type: 'apiKey', header: 'X-Api-Key', key: '${ERP_KEY}' },
            maxRetries: 2,
            retryInterval: '50ms',
            methods: {
              missing: { verb: 'GET', path: '/fail404' },
              broken: { verb: 'POST', path: '/fail500', parameters: { v: { type: 'string' } } },
            },
          },
          MES: { baseUrl: `http://127.0.0.1:${port}/mes`, methods: { get: { verb: 'GET', path: '/x' } } },
        },
        databases: { Plant: { driver: 'postgres', host: '127.0.0.1', database: 'plant', user: 'scada', password: '${DB_PASSWORD}' } },
      },
      SCRIPTS,
    );
    dataDir = join(tmp.dir, 'data');
    node = await startSiteNode({
      projectDir: dir,
      dataDir,
      port: 0,
      env: { ERP_TOKEN: TOKEN, ERP_KEY: KEY, DB_PASSWORD },
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
      pollIntervalMs: 20,
    });
  });

  afterAll(async () => {
    await node?.stop();
    await new Promise((resolve) => remote?.close(resolve));
    tmp.cleanup();
  });

  const rows = (sql: string): string => JSON.stringify(node.runtime!.store.db.prepare(sql).all());

  it('issue 8: the error a script gets from ExternalSystem.Call has the echoed token and key replaced by ***', async () => {
    const out = (await node.runtime!.callScript('Pump1', 'sync')) as { code: string; message: string; stack: string };
    expect(out.code).toBe('HTTP_STATUS');
    expect(out.message).toContain('HTTP 404');
    expect(out.message).toContain('***');
    expect(leaked(JSON.stringify(out))).toEqual([]);
  });

  it('issue 8: any configured secret a remote puts in its answer (another section\'s database password) is redacted from the script error', async () => {
    const out = (await node.runtime!.callScript('Pump1', 'mes')) as { code: string; message: string };
    expect(out.code).toBe('HTTP_STATUS');
    expect(out.message).toContain('upstream password ***');
    expect(leaked(JSON.stringify(out))).toEqual([]);
  });

  it('issue 8: a cached call failing permanently: the script error, LastError, audit rows and event log hold no secret', async () => {
    const out = (await node.runtime!.callScript('Pump1', 'cached')) as { code: string; message: string; id: string };
    expect(out.code).toBe('HTTP_STATUS');
    expect(leaked(JSON.stringify(out))).toEqual([]);
    const snap = node.runtime!.store.status(out.id)!;
    expect(snap.status).toBe('Failed');
    expect(snap.lastError).toContain('***');
    expect(leaked(snap.lastError!)).toEqual([]);
    const audit = JSON.stringify(node.runtime!.store.outbox.forOperation(out.id));
    expect(audit).toContain('***');
    expect(leaked(audit)).toEqual([]);
  });

  it('issue 8: a cached call retried until Parked records no secret in LastError or its audit rows', async () => {
    const id = (await node.runtime!.callScript('Pump1', 'parked')) as string;
    const parked = await node.runtime!.store.waitFor(id, ['Parked']);
    expect(parked.lastError).toContain('HTTP 500');
    expect(parked.lastError).toContain('***');
    expect(leaked(parked.lastError!)).toEqual([]);
    expect(leaked(JSON.stringify(node.runtime!.store.outbox.forOperation(id)))).toEqual([]);
  });

  it('issue 8: the site admin API error answer for a failing script holds no secret', async () => {
    const res = await fetch(`${node.url}/admin/api/instances/Pump1/scripts/uncaught/call`, { method: 'POST' });
    const text = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(text).toContain('***');
    expect(leaked(text)).toEqual([]);
  });

  it('issue 8: nothing the site wrote holds a secret: event log, tracking, audit outbox, the store files and the log output', async () => {
    const events = rows('SELECT * FROM event_log');
    expect(events).toContain('***');
    expect(leaked(events)).toEqual([]);
    expect(leaked(rows('SELECT * FROM operation_tracking'))).toEqual([]);
    expect(leaked(rows('SELECT * FROM audit_outbox'))).toEqual([]);
    expect(leaked(rows('SELECT * FROM audit_rejected'))).toEqual([]);
    const log = logLines.join('');
    expect(log).toContain('***');
    expect(leaked(log)).toEqual([]);
    // Every byte of the store, its WAL included: no form of either secret was ever written.
    for (const file of readdirSync(dataDir)) {
      expect({ file, leaked: leaked(readFileSync(join(dataDir, file), 'latin1')) }).toEqual({ file, leaked: [] });
    }
  });
});
