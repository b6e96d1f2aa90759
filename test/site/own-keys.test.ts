// Issue 8 point 1: names a script (or the site admin API) passes are looked up
// as own keys of the configuration, so Object.prototype's members are unknown
// names: the normal UNKNOWN_* error, no crash, nothing recorded, nothing sent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

// Each probe reports the error code it got, keyed by kind and name.
const PROBE = `
  const out = {};
  const attempt = async (label, fn) => {
    try { await fn(); out[label] = 'no error'; } catch (e) { out[label] = e.code ?? String(e); }
  };
  for (const n of ${JSON.stringify(PROTOTYPE_NAMES)}) {
    await attempt('system ' + n, () => ExternalSystem.Call(n, 'get', {}));
    await attempt('cached system ' + n, () => ExternalSystem.CachedCall(n, 'get', {}));
    await attempt('method ' + n, () => ExternalSystem.Call('ERP', n, {}));
    await attempt('cached method ' + n, () => ExternalSystem.CachedCall('ERP', n, {}));
    await attempt('connection ' + n, () => Database.Connection(n));
    await attempt('cached write ' + n, () => Database.CachedWrite(n, 'SELECT 1'));
    await attempt('list ' + n, () => Notify.To(n).Send('subject', 'body'));
    await attempt('shared script ' + n, () => Scripts.Call(n, {}));
    await attempt('get attribute ' + n, () => Instance.GetAttribute(n));
    await attempt('set attribute ' + n, () => Instance.SetAttribute(n, 1));
  }
  return out;`;

const EXPECTED_CODE: Readonly<Record<string, string>> = {
  system: 'UNKNOWN_SYSTEM',
  'cached system': 'UNKNOWN_SYSTEM',
  method: 'UNKNOWN_METHOD',
  'cached method': 'UNKNOWN_METHOD',
  connection: 'UNKNOWN_CONNECTION',
  'cached write': 'UNKNOWN_CONNECTION',
  list: 'UNKNOWN_NOTIFICATION_LIST',
  'shared script': 'UNKNOWN_SCRIPT',
  'get attribute': 'UNKNOWN_ATTRIBUTE',
  'set attribute': 'UNKNOWN_ATTRIBUTE',
};

describe('issue 8: names are own keys only', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: SiteNode;
  let erp: Server;
  let requests = 0;

  beforeAll(async () => {
    tmp = tempDir();
    erp = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => erp.listen(0, '127.0.0.1', resolve));
    const port = (erp.address() as AddressInfo).port;
    const dir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            attributes: { Speed: { type: 'number', initial: 1 } },
            scripts: { probe: { file: 'probe.js', triggers: ['call'] } },
          },
        },
        sharedScripts: { Helper: { file: 'helper.js' } },
        externalSystems: { ERP: { baseUrl: `http://127.0.0.1:${port}`, methods: { get: { verb: 'GET', path: '/x' } } } },
        databases: { Local: { driver: 'sqlite', file: 'local.db' } },
        notificationLists: { ops: ['ops@example.test'] },
        smtp: { host: '127.0.0.1', port: 1, tls: 'None', fromAddress: 'site@example.test' },
      },
      { 'probe.js': PROBE, 'helper.js': 'return 1;' },
    );
    node = await startSiteNode({ projectDir: dir, dataDir: join(tmp.dir, 'data'), port: 0, logger: pino({ level: 'silent' }), pollIntervalMs: 20 });
  });

  afterAll(async () => {
    await node?.stop();
    await new Promise((resolve) => erp.close(resolve));
    tmp.cleanup();
  });

  const count = (table: string): number =>
    (node.runtime!.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('issue 8: systems, methods, connections, lists, shared scripts and attributes named like Object.prototype members are UNKNOWN_*, nothing recorded or sent', async () => {
    const before = { audit: count('audit_outbox'), tracking: count('operation_tracking'), buffer: count('sf_buffer') };
    const out = (await node.runtime!.callScript('Pump1', 'probe')) as Record<string, string>;
    const expected: Record<string, string> = {};
    for (const n of PROTOTYPE_NAMES) for (const [kind, code] of Object.entries(EXPECTED_CODE)) expected[`${kind} ${n}`] = code;
    expect(out).toEqual(expected);
    expect({ audit: count('audit_outbox'), tracking: count('operation_tracking'), buffer: count('sf_buffer') }).toEqual(before);
    expect(requests).toBe(0);
    expect(node.runtime!.attributes('Pump1')).toEqual({ Speed: 1 });
  });

  it('issue 8: the site admin API answers 404 UNKNOWN_SCRIPT / UNKNOWN_INSTANCE / UNKNOWN_ATTRIBUTE for prototype names, never 500', async () => {
    for (const n of PROTOTYPE_NAMES) {
      const call = await fetch(`${node.url}/admin/api/instances/Pump1/scripts/${n}/call`, { method: 'POST' });
      expect({ n, status: call.status, code: ((await call.json()) as { error: { code: string } }).error.code }).toEqual({ n, status: 404, code: 'UNKNOWN_SCRIPT' });
      const inst = await fetch(`${node.url}/admin/api/instances/${n}/scripts/probe/call`, { method: 'POST' });
      expect({ n, status: inst.status, code: ((await inst.json()) as { error: { code: string } }).error.code }).toEqual({ n, status: 404, code: 'UNKNOWN_INSTANCE' });
      const put = await fetch(`${node.url}/admin/api/instances/Pump1/attributes/${n}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: 3 }),
      });
      expect({ n, status: put.status, code: ((await put.json()) as { error: { code: string } }).error.code }).toEqual({ n, status: 404, code: 'UNKNOWN_ATTRIBUTE' });
    }
    expect(count('operation_tracking')).toBe(0);
  });
});
