// Issue 11 point 10: the Inbound API negative tests of seed 003 against a real
// `scadalink central` process (and a real `scadalink site` for the routed
// one), those not already covered with real processes: bad parameters (400)
// and SITE_UNREACHABLE while a site is stopped are in inbound-api.test.ts; the
// same checks on an in-process node are in test/central/inbound-api/.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: { error?: unknown; code?: unknown };
}

describe('issue 11 point 10: seed 003 Inbound API negative tests on a real central process', () => {
  let tmp: ReturnType<typeof tempDir>;
  let data: string;
  let central: SiteProcess;
  let siteSecret: string;
  let keys: { mes: string; erp: string };
  let operator: string;

  const post = async (method: string, key: string | undefined, body: object = {}): Promise<Answer> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-api-key': key }) };
    const res = await fetch(`${central.url}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Answer['body'] };
  };
  const failures = async (method: string): Promise<{ code: string; status: number; site: string | null; message: string }[]> => {
    const res = await fetch(`${central.url}/admin/api/inbound-api/failures?method=${method}`, { headers: { authorization: `Bearer ${operator}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: { code: string; status: number; site: string | null; message: string }[] }).items;
  };

  beforeAll(async () => {
    tmp = tempDir();
    data = join(tmp.dir, 'central');
    const project = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', attributes: { Count: { type: 'number', initial: 0 } }, scripts: { bump: { file: 'bump.js', triggers: ['call'] } } } },
        sharedScripts: { helper: { file: 'helper.js' } },
        inboundApi: {
          databases: { local: { driver: 'sqlite', file: 'central-local.db' } },
          methods: {
            Add: { parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } }, returns: { type: 'Integer' }, apiKeys: ['mes'], script: 'add.js' },
            ErpOnly: { returns: { type: 'String' }, apiKeys: ['erp'], script: 'pong.js' },
            Fail: { apiKeys: ['mes'], script: 'fail.js' },
            BadSql: { apiKeys: ['mes'], script: 'bad-sql.js' },
            Shared: { apiKeys: ['mes'], script: 'shared.js' },
            Bump: { returns: { type: 'Integer' }, apiKeys: ['mes'], timeout: '3s', script: 'route-bump.js' },
          },
        },
      },
      {
        'add.js': 'return Parameters.a + Parameters.b;',
        'pong.js': "return 'pong';",
        'fail.js': "throw new Error('password=hunter2 in /etc/scadalink/secret.yaml: SELECT * FROM Accounts');",
        'bad-sql.js': "const db = await Database.Connection('local'); return await db.Query('SELECT secret_column FROM no_such_table WHERE token = ?', ['hunter2']);",
        // Through a variable: the validator would refuse a literal Scripts.Call in a central script; the run's own refusal is tested here.
        'shared.js': "const S = Scripts; return await S.Call('helper', {});",
        'helper.js': 'return 1;',
        'bump.js': 'const n = (await Instance.GetAttribute("Count")) + 1; await Instance.SetAttribute("Count", n); return n;',
        'route-bump.js': "return await Route.To('Pump1').Call('bump', {});",
      },
    );
    const added = runCli(['central', 'site', 'add', 'plant1', '--create', '--data', data]);
    expect(added.status, added.stderr).toBe(0);
    siteSecret = added.stdout.trim();
    keys = {
      mes: runCli(['central', 'apikey', 'create', 'mes', '--data', data]).stdout.trim(),
      erp: runCli(['central', 'apikey', 'create', 'erp', '--data', data]).stdout.trim(),
    };
    operator = runCli(['central', 'token', 'create', '--role', 'Viewer', '--name', 'vic', '--data', data]).stdout.trim();
    central = await SiteProcess.central(['--data', data, '--project', project, '--port', '0', '--grpc-port', '0']);
  }, 60_000);
  afterAll(async () => {
    await central?.terminate();
    tmp?.cleanup();
  });

  it('issue 11 point 10 (seed 003 negative): an invalid key is 401 — missing, unknown, one character off, or deleted with the CLI', async () => {
    expect(await post('Add', undefined, { a: 1, b: 2 })).toMatchObject({ status: 401, body: { code: 'API_KEY_MISSING', error: expect.any(String) } });
    const offByOne = keys.mes.slice(0, -1) + (keys.mes.endsWith('A') ? 'B' : 'A');
    for (const key of ['slk_api_unknown', offByOne]) {
      expect(await post('Add', key, { a: 1, b: 2 })).toMatchObject({ status: 401, body: { code: 'API_KEY_INVALID' } });
    }
    const temp = runCli(['central', 'apikey', 'create', 'temp', '--data', data]).stdout.trim();
    expect(runCli(['central', 'apikey', 'delete', 'temp', '--data', data]).status).toBe(0);
    const deleted = await post('Add', temp, { a: 1, b: 2 });
    expect(deleted).toMatchObject({ status: 401, body: { code: 'API_KEY_INVALID' } });
    // The answer never echoes the key it was given.
    expect(deleted.text).not.toContain(temp.slice(8));
    expect(await post('Add', keys.mes, { a: 1, b: 2 })).toMatchObject({ status: 200, body: 3 });
  });

  it('issue 11 point 10 (seed 003 negative): a valid key not approved for the method is 403 API_KEY_NOT_APPROVED', async () => {
    expect(await post('ErpOnly', keys.mes)).toMatchObject({ status: 403, body: { code: 'API_KEY_NOT_APPROVED' } });
    expect(await post('Add', keys.erp, { a: 1, b: 2 })).toMatchObject({ status: 403, body: { code: 'API_KEY_NOT_APPROVED' } });
    expect(await post('ErpOnly', keys.erp)).toMatchObject({ status: 200, body: 'pong' });
    expect((await failures('Add'))[0]).toMatchObject({ code: 'API_KEY_NOT_APPROVED', status: 403 });
  });

  it('issue 11 point 10 (seed 003 negative): a script failure is 500 SCRIPT_ERROR whose message has no stack, path, SQL or secret — a thrown error and a failing query alike', async () => {
    for (const method of ['Fail', 'BadSql']) {
      const a = await post(method, keys.mes);
      expect(a).toMatchObject({ status: 500, body: { code: 'SCRIPT_ERROR', error: expect.stringMatching(new RegExp(`^method ${method} failed`)) } });
      for (const leak of ['hunter2', 'password', '/etc', 'SELECT', 'no_such_table', 'secret', '.js', ' at ', '\n', tmp.dir]) expect(a.text, `${method}: ${leak}`).not.toContain(leak);
      // The failure log keeps the same safe message.
      const [recorded] = await failures(method);
      expect(recorded).toMatchObject({ code: 'SCRIPT_ERROR', status: 500, message: a.body.error, site: null });
    }
    // The details are for the operator: central's own log names the method and the cause.
    expect(await central.line('"method":"BadSql"')).toContain('no such table');
  });

  it('issue 11 point 10 (seed 003 negative): a method script calling a shared script fails with a clear script error (SITE_ONLY_API), 500', async () => {
    expect(await post('Shared', keys.mes)).toMatchObject({ status: 500, body: { code: 'SCRIPT_ERROR', error: 'method Shared failed (SITE_ONLY_API)' } });
  });

  it('issue 11 point 10 (seed 003 negative): a call routed to a site that never connected is 503 SITE_UNREACHABLE at once, and nothing is buffered: the site started later never runs it', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) expect(await post('Bump', keys.mes)).toMatchObject({ status: 503, body: { code: 'SITE_UNREACHABLE' } });
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect((await failures('Bump'))[0]).toMatchObject({ code: 'SITE_UNREACHABLE', status: 503, site: 'plant1' });

    const site = await SiteProcess.start(
      ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: siteSecret },
    );
    try {
      await site.line('"configuration deployed"');
      // The three refused calls were not kept anywhere: the first call after the connection is the first run.
      expect(await post('Bump', keys.mes)).toEqual({ status: 200, text: '1', body: 1 });
      expect(await (await fetch(`${site.url}/admin/api/instances/Pump1/attributes`)).json()).toEqual({ Count: 1 });
      // And the site's store-and-forward buffer holds nothing, pending or parked.
      expect(await (await fetch(`${site.url}/admin/api/parked`)).json()).toEqual([]);
      expect(await (await fetch(`${site.url}/metrics`)).text()).toMatch(/^scadalink_sf_buffer_depth\{site="plant1"\} 0$/m);
    } finally {
      await site.terminate();
    }
  }, 60_000);
});
