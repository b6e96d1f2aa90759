// Issue 9, point 6: the site's /metrics counts the attempts against each
// external system, database and SMTP server by outcome, and times them,
// labelled by the configured name only. Real parts: an HTTP server, a
// PostgreSQL database (and a closed port for an unreachable one) and an SMTP
// server on loopback, driven by scripts through a real site node's admin API.
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { ScriptedServer } from '../support/http.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { writeProject } from '../support/project.js';
import { type TestSmtpServer, startSmtpServer } from '../integrations/smtp/server.js';

const logger = pino({ level: 'silent' });

const scripts = {
  'call.js': `try { return await ExternalSystem.Call('ERP', 'post', { orderId: Parameters.orderId }); }
    catch (e) { return { code: e.code }; }`,
  'cached-call.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });`,
  'query.js': `
    const db = await Database.Connection('Plant');
    await db.Execute('INSERT INTO readings (op_id, flow) VALUES (@id, @flow)', { id: Parameters.id, flow: 1.5 });
    return await db.Query('SELECT op_id FROM readings', []);`,
  'cached-write.js': `return await Database.CachedWrite('Plant', 'INSERT INTO readings (op_id, flow) VALUES (@TrackedOperationId, 2)');`,
  'unreachable.js': `try { const db = await Database.Connection('Nowhere'); await db.Query('SELECT 1', []); return 'no error'; }
    catch (e) { return { code: e.code }; }`,
  'notify.js': `return await Notify.To('Operators').Send('High flow', 'Pump1 flow is 95');`,
};

/** The value of one sample line (0 when absent). */
function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const attempts = (page: string, kind: string, name: string, outcome: string): number =>
  sample(page, `scadalink_integration_attempts_total{kind="${kind}",name="${name}",outcome="${outcome}",site="plant1"}`);
const timed = (page: string, kind: string, name: string): number =>
  sample(page, `scadalink_integration_attempt_duration_seconds_count{site="plant1",kind="${kind}",name="${name}"}`);

describe('issue 9 point 6: per-integration attempt metrics at the site', () => {
  let tmp: ReturnType<typeof tempDir>;
  let http: ScriptedServer;
  let smtp: TestSmtpServer;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let node: SiteNode;

  const call = async (script: string, body: object = {}): Promise<unknown> => {
    const res = await fetch(`${node.url}/admin/api/instances/Pump1/scripts/${script}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: unknown }).result;
  };
  const metrics = async (): Promise<string> => (await fetch(`${node.url}/metrics`)).text();

  beforeEach(async () => {
    tmp = tempDir();
    http = new ScriptedServer();
    const erp = await http.listen();
    smtp = await startSmtpServer();
    db = await createPgDatabase('sl_attempts');
    const admin = new pg.Client({ ...PG, database: db.database });
    await admin.connect();
    await admin.query('CREATE TABLE readings (op_id TEXT PRIMARY KEY, flow DOUBLE PRECISION)');
    await admin.end();
    const conn = { driver: 'postgres', host: '127.0.0.1', database: db.database, user: PG.user, timeout: '2s', maxRetries: 5, retryInterval: '50ms' };
    const project = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: { site: 'plant1', scripts: Object.fromEntries(Object.keys(scripts).map((f) => [f.slice(0, -3), { file: f, triggers: ['call'] }])) },
        },
        externalSystems: {
          ERP: { baseUrl: erp, maxRetries: 5, retryInterval: '50ms', methods: { post: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } } } },
        },
        databases: { Plant: { ...conn, port: PG.port }, Nowhere: { ...conn, port: await closedPort(), maxRetries: 1 } },
        notificationLists: { Operators: ['ops@plant.example'] },
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          tls: 'None',
          auth: { type: 'Basic', username: 'plant1', password: 'smtp-pw' },
          fromAddress: 'plant1@plant.example',
          connectionTimeout: '2s',
          maxRetries: 5,
          retryInterval: '50ms',
        },
      },
      scripts,
    );
    node = await startSiteNode({ projectDir: project, dataDir: join(tmp.dir, 'data'), port: 0, logger, pollIntervalMs: 20 });
  });
  afterEach(async () => {
    await node.stop();
    await http.close();
    await smtp.close();
    await db.drop();
    tmp.cleanup();
  });

  it('counts attempts by outcome and times them per external system, database and SMTP server, labelled by configured name', async () => {
    const before = await metrics();
    expect(attempts(before, 'external_system', 'ERP', 'delivered')).toBe(0);

    // ERP: a 503 (transient) to the first synchronous call, then 200 to the rest.
    http.script.push(503);
    expect(await call('call', { orderId: 'A1' })).toMatchObject({ code: expect.any(String) });
    await call('call', { orderId: 'A2' });
    await call('cached-call', { orderId: 'A3' });
    // Plant: two statements (Execute, Query) and one cached write; Nowhere: one failed statement.
    await call('query', { id: 'r1' });
    await call('cached-write');
    expect(await call('unreachable')).toMatchObject({ code: expect.any(String) });
    await call('notify');
    await smtp.waitForMails(1);

    let page = '';
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      page = await metrics();
      if (attempts(page, 'smtp', 'smtp', 'delivered') >= 1 && attempts(page, 'database', 'Plant', 'delivered') >= 3) break;
    }
    expect(attempts(page, 'external_system', 'ERP', 'transient')).toBe(1);
    expect(attempts(page, 'external_system', 'ERP', 'delivered')).toBe(2);
    expect(timed(page, 'external_system', 'ERP')).toBe(3);
    expect(attempts(page, 'database', 'Plant', 'delivered')).toBe(3);
    expect(timed(page, 'database', 'Plant')).toBe(3);
    expect(attempts(page, 'database', 'Nowhere', 'transient') + attempts(page, 'database', 'Nowhere', 'permanent')).toBe(1);
    expect(attempts(page, 'smtp', 'smtp', 'delivered')).toBe(1);
    expect(timed(page, 'smtp', 'smtp')).toBe(1);
    // Bounded labels: configured names, never the URL, the database host or an operation id.
    const series = page.split('\n').filter((l) => l.startsWith('scadalink_integration_'));
    expect(series.join('\n')).not.toMatch(/127\.0\.0\.1|http:|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
