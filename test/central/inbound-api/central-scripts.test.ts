// Central scripts on a real central node (issue 11 points 4 and 7): the
// method's timeout stops a looping script, Database.Connection reaches a real
// SQLite file (in central's data directory) and a real PostgreSQL database,
// shared scripts are refused, Route.To to a site not connected is 503, and a script
// failure is a 500 whose message gives nothing away, recorded as a failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CentralNode } from '../../../src/central/index.js';
import { createPgDatabase, tempDir } from '../../support/index.js';
import { callApi, recordedFailures, startApiCentral } from './endpoint-fixture.js';

describe('central scripts (issue 11 point 4)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pgdb: Awaited<ReturnType<typeof createPgDatabase>>;
  let node: CentralNode;
  let keys: { mes: string; erp: string };

  beforeAll(async () => {
    tmp = tempDir();
    pgdb = await createPgDatabase('sl_inbound_scripts');
    ({ node, keys } = await startApiCentral(tmp.dir, { pgDatabase: pgdb.database }));
  });
  afterAll(async () => {
    await node.stop();
    await pgdb.drop();
    tmp.cleanup();
  });

  it('issue 11 point 4: a script still running at the method timeout is stopped: 504 METHOD_TIMEOUT at about the timeout, and the next call runs', async () => {
    const started = performance.now();
    const a = await callApi(node, 'Loop', { key: keys.mes });
    const elapsed = performance.now() - started;
    expect({ status: a.status, code: a.body.code }).toEqual({ status: 504, code: 'METHOD_TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    expect((await recordedFailures(node)).at(-1)).toMatchObject({ method: 'Loop', code: 'METHOD_TIMEOUT', status: 504, keyName: 'mes' });
    // The stopped isolate was replaced: other methods still run.
    expect((await callApi(node, 'Add', { key: keys.mes, body: { a: 1, b: 2 } })).body).toBe(3);
  });

  it('issue 11 point 4: Database.Connection reaches a SQLite file of central (relative to its data directory)', async () => {
    const first = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 1.5 } });
    expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: { count: 1, total: 1.5 } });
    const second = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 2 } });
    expect(second.body).toEqual({ count: 2, total: 3.5 });
    expect(existsSync(join(tmp.dir, 'data', 'central-local.db'))).toBe(true);
  });

  it('issue 11 point 4: Database.Connection reaches a PostgreSQL database, transactions included', async () => {
    const first = await callApi(node, 'PgWrite', { key: keys.mes, body: { value: 2.5 } });
    expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: { count: 1, total: 2.5 } });
    const second = await callApi(node, 'PgWrite', { key: keys.mes, body: { value: 1 } });
    expect(second.body).toEqual({ count: 2, total: 3.5 });
  });

  it('issue 11 point 4: a database central does not define is a script error naming its code only', async () => {
    const a = await callApi(node, 'UnknownDb', { key: keys.mes });
    expect({ status: a.status, body: a.body }).toEqual({ status: 500, body: { error: 'method UnknownDb failed (UNKNOWN_CONNECTION)', code: 'SCRIPT_ERROR' } });
  });

  it('issue 11 point 4: Scripts.Call is site-only: a clear script error (SITE_ONLY_API), 500', async () => {
    const a = await callApi(node, 'Shared', { key: keys.mes });
    expect({ status: a.status, body: a.body }).toEqual({ status: 500, body: { error: 'method Shared failed (SITE_ONLY_API)', code: 'SCRIPT_ERROR' } });
  });

  it('issue 11 point 4: Route.To to an instance whose site is not connected answers 503 SITE_UNREACHABLE at once (never buffered); an unknown instance 404', async () => {
    const started = performance.now();
    const a = await callApi(node, 'Routed', { key: keys.mes, body: { instance: 'Pump1' } });
    expect({ status: a.status, code: a.body.code }).toEqual({ status: 503, code: 'SITE_UNREACHABLE' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await recordedFailures(node)).at(-1)).toMatchObject({ method: 'Routed', code: 'SITE_UNREACHABLE', status: 503, site: 'plant1' });
    const unknown = await callApi(node, 'Routed', { key: keys.mes, body: { instance: 'Ghost' } });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'UNKNOWN_INSTANCE' });
  });

  it('issue 11 point 7: a script failure is 500 SCRIPT_ERROR with no stack, path, SQL or secret; recorded with method, key, code, time and duration', async () => {
    const before = (await recordedFailures(node)).length;
    const a = await callApi(node, 'Fail', { key: keys.mes });
    expect({ status: a.status, body: a.body }).toEqual({ status: 500, body: { error: 'method Fail failed (SCRIPT_ERROR)', code: 'SCRIPT_ERROR' } });
    for (const leak of ['hunter2', 'password', '/etc', 'SELECT', 'fail.js', ' at ']) expect(a.text).not.toContain(leak);
    const [recorded] = (await recordedFailures(node)).slice(before);
    expect(recorded).toEqual({
      id: expect.any(Number),
      method: 'Fail',
      keyName: 'mes',
      code: 'SCRIPT_ERROR',
      message: 'method Fail failed (SCRIPT_ERROR)',
      status: 500,
      atUtc: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      durationMs: expect.any(Number),
      site: null,
    });
    expect(await recordedFailures(node)).toHaveLength(before + 1);
  });
});
