// Answers of the Inbound API beyond the checks (issue 11 points 1, 7 and 8) on
// a real central node: methods of a new revision served without a restart
// (SQLite and PostgreSQL central databases), the Idempotency-Key header,
// successes and failures counted in /metrics, and a failure log that fails
// (the node's own database stores, with a table of theirs taken away).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CentralNode, startCentralNode } from '../../../src/central/index.js';
import { PG, createPgDatabase, tempDir } from '../../support/index.js';
import { callApi, inboundApi, recordedFailures, silent, startApiCentral, withoutTable } from './endpoint-fixture.js';

describe.each([['SQLite'], ['PostgreSQL']])('methods of the newest revision, central on %s (issue 11 point 1)', (engine) => {
  // On PostgreSQL, a second replica on the same database serves them too.
  let tmp: ReturnType<typeof tempDir>;
  let pgdb: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  let node: CentralNode | undefined;

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    await pgdb?.drop();
    pgdb = undefined;
    tmp.cleanup();
  });

  it(`issue 11 point 1: a method added by a new revision is served at once, without a restart (${engine})`, async () => {
    tmp = tempDir();
    let databaseUrl: string | undefined;
    if (engine === 'PostgreSQL') {
      pgdb = await createPgDatabase('sl_inbound_rev');
      databaseUrl = `postgres://${PG.user}@${PG.host}:${PG.port}/${pgdb.database}`;
    }
    const started = await startApiCentral(tmp.dir, { ...(databaseUrl === undefined ? {} : { databaseUrl }) });
    node = started.node;
    expect((await callApi(node, 'Add', { key: started.keys.mes, body: { a: 1, b: 2 } })).body).toBe(3);
    expect((await callApi(node, 'Hello', { key: started.keys.mes })).body.code).toBe('UNKNOWN_METHOD');

    const api = inboundApi() as { methods: Record<string, unknown> };
    api.methods.Hello = { returns: { type: 'String' }, apiKeys: ['mes'], script: 'hello.js' };
    writeFileSync(join(started.projectDir, 'scripts', 'hello.js'), "return 'hello from revision 2';");
    writeFileSync(join(started.projectDir, 'scadalink.yaml'), stringify({ sites: { plant1: {} }, inboundApi: api }));
    const { config } = await node.deployer.record('test');
    expect(config.revision).toBe(2);

    const hello = await callApi(node, 'Hello', { key: started.keys.mes });
    expect({ status: hello.status, body: hello.body }).toEqual({ status: 200, body: 'hello from revision 2' });
    const doc = (await (await fetch(`${node.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown>; info: { version: string } };
    expect(doc.paths['/api/Hello']).toBeDefined();
    expect(doc.info.version).toBe('2');

    // Revision 3 removes Add and approves Hello for erp only: every node serves that within its refresh (1 s).
    delete api.methods.Add;
    api.methods.Hello = { returns: { type: 'String' }, apiKeys: ['erp'], script: 'hello.js' };
    writeFileSync(join(started.projectDir, 'scadalink.yaml'), stringify({ sites: { plant1: {} }, inboundApi: api }));
    await node.deployer.record('test');
    const recordedAt = performance.now();
    // A bounded poll: the node reads the newest revision when its last read is older than 1 s; nothing signals it.
    let add = await callApi(node, 'Add', { key: started.keys.mes, body: { a: 1, b: 2 } });
    while (add.status === 200 && performance.now() - recordedAt < 3000) {
      await new Promise((r) => setTimeout(r, 50));
      add = await callApi(node, 'Add', { key: started.keys.mes, body: { a: 1, b: 2 } });
    }
    expect({ status: add.status, code: add.body.code }).toEqual({ status: 404, code: 'UNKNOWN_METHOD' });
    expect(performance.now() - recordedAt).toBeLessThan(1500);
    expect((await callApi(node, 'Hello', { key: started.keys.mes })).body.code).toBe('API_KEY_NOT_APPROVED');
    expect((await callApi(node, 'Hello', { key: started.keys.erp })).body).toBe('hello from revision 2');

    if (databaseUrl !== undefined) {
      // Another replica on the same database, started without a project, serves the same methods and keys.
      const other = await startCentralNode({ dataDir: join(tmp.dir, 'replica-b'), databaseUrl, port: 0, grpcPort: 0, logger: silent, maintenanceOnStart: false });
      try {
        const b = await callApi(other, 'Hello', { key: started.keys.erp });
        expect({ status: b.status, body: b.body }).toEqual({ status: 200, body: 'hello from revision 2' });
        expect((await callApi(other, 'Add', { key: started.keys.mes, body: { a: 1, b: 2 } })).body.code).toBe('UNKNOWN_METHOD');
      } finally {
        await other.stop();
      }
    }
  });
});

describe('Idempotency-Key, metrics and the failure log (issue 11 points 7 and 8)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let keys: { mes: string; erp: string };

  beforeAll(async () => {
    tmp = tempDir();
    ({ node, keys } = await startApiCentral(tmp.dir));
  });
  afterAll(async () => {
    await node.stop();
    tmp.cleanup();
  });
  const withKey = (k: string) => ({ 'idempotency-key': k });

  it('issue 11 point 8: a retry with the same Idempotency-Key and body gets the recorded answer without running the script again', async () => {
    const first = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 1 }, headers: withKey('order-1') });
    expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: { count: 1, total: 1 } });
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const retry = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 1 }, headers: withKey('order-1') });
    expect({ status: retry.status, text: retry.text }).toEqual({ status: 200, text: first.text });
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    // The script did not run for the retry: the next run sees one row more, not two.
    const next = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 1 } });
    expect(next.body).toEqual({ count: 2, total: 2 });
  });

  it('issue 11 point 8: the same key with another body is 422 IDEMPOTENCY_KEY_REUSED; a call still running is 409 IN_PROGRESS', async () => {
    await callApi(node, 'Add', { key: keys.mes, body: { a: 1, b: 1 }, headers: withKey('k-2') });
    const reused = await callApi(node, 'Add', { key: keys.mes, body: { a: 1, b: 2 }, headers: withKey('k-2') });
    expect({ status: reused.status, code: reused.body.code }).toEqual({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    // Another API key's use of the same header value is its own.
    const other = await callApi(node, 'Ping', { key: keys.erp, headers: withKey('k-2') });
    expect(other.body).toBe('pong');
    // A claim with no answer yet, held in the database as another call's would be: what a concurrent
    // duplicate sees once it waited up to the method's timeout (Loop's 300 ms; at most 5 s).
    const { createHash } = await import('node:crypto');
    const ref = { keyName: 'mes', method: 'Loop', idempotencyKey: 'k-3', requestSha256: createHash('sha256').update('').digest('hex') };
    expect(await node.repo.claimIdempotencyKey(ref, 60_000)).toEqual({ claimed: true });
    const running = await callApi(node, 'Loop', { key: keys.mes, headers: withKey('k-3') });
    expect({ status: running.status, code: running.body.code }).toEqual({ status: 409, code: 'IN_PROGRESS' });
  });

  it('issue 11 point 8: a script error is recorded and replayed; a timeout (504) is not, so a retry runs again; a bad header is 400', async () => {
    const failed = await callApi(node, 'Fail', { key: keys.mes, headers: withKey('f-1') });
    const replayed = await callApi(node, 'Fail', { key: keys.mes, headers: withKey('f-1') });
    expect({ status: replayed.status, text: replayed.text, replayed: replayed.headers.get('idempotency-replayed') }).toEqual({ status: 500, text: failed.text, replayed: 'true' });
    const timedOut = await callApi(node, 'Loop', { key: keys.mes, headers: withKey('t-1') });
    expect(timedOut.status).toBe(504);
    // Its claim was released (no row holds t-1), so the retry runs again rather than replaying.
    expect(await node.repo.idempotencyRow({ keyName: 'mes', method: 'Loop', idempotencyKey: 't-1' })).toBeUndefined();
    const again = await callApi(node, 'Loop', { key: keys.mes, headers: withKey('t-1') });
    expect({ status: again.status, replayed: again.headers.get('idempotency-replayed') }).toEqual({ status: 504, replayed: null });
    for (const bad of ['', 'x'.repeat(256), 'tab\there']) {
      const a = await callApi(node, 'Ping', { key: keys.mes, headers: withKey(bad) });
      expect({ status: a.status, code: a.body.code }, JSON.stringify(bad)).toEqual({ status: 400, code: 'INVALID_IDEMPOTENCY_KEY' });
    }
  });

  it('issue 11 point 7: /metrics counts answers by method and outcome with a latency histogram; successes are not recorded as failures', async () => {
    const before = (await recordedFailures(node)).length;
    await callApi(node, 'Ping', { key: keys.mes });
    await callApi(node, 'Ping', { key: keys.mes });
    expect(await recordedFailures(node)).toHaveLength(before);
    await callApi(node, 'Ping', {});
    await callApi(node, `Nope${'x'.repeat(50)}`, { key: keys.mes });
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const count = (labels: string): number => Number(new RegExp(`^scadalink_inbound_api_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');
    expect(count('method="Ping",outcome="ok"')).toBeGreaterThanOrEqual(2);
    expect(count('method="Ping",outcome="API_KEY_MISSING"')).toBe(1);
    expect(count('method="\\(unknown\\)",outcome="UNKNOWN_METHOD"')).toBeGreaterThanOrEqual(1);
    expect(count('method="SqliteWrite",outcome="replayed"')).toBe(1);
    expect(text).toMatch(/^scadalink_inbound_api_request_duration_seconds_count\{method="Ping"\} \d+$/m);
    expect(text).not.toContain('Nopexxx');
    expect((await recordedFailures(node)).slice(before).map((f) => [f.method, f.code, f.keyName])).toEqual([
      ['Ping', 'API_KEY_MISSING', null],
      [`Nope${'x'.repeat(50)}`, 'UNKNOWN_METHOD', 'mes'],
    ]);
  });

  it('issue 11 point 8: an idempotency store that fails is 500 INTERNAL_ERROR, and the method did not run', async () => {
    await withoutTable(node, 'InboundIdempotency', async () => {
      const a = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 100 }, headers: withKey('down-1') });
      expect({ status: a.status, body: a.body }).toEqual({ status: 500, body: { error: 'central could not handle the call; retry', code: 'INTERNAL_ERROR' } });
    });
    const after = await callApi(node, 'SqliteWrite', { key: keys.mes, body: { value: 0 } });
    expect(after.body.total).toBeLessThan(100);
  });

  it('issue 11 point 7: a failure log that fails does not change or delay the answer', async () => {
    const before = (await recordedFailures(node)).length;
    await withoutTable(node, 'InboundFailures', async () => {
      const a = await callApi(node, 'Add', { key: keys.mes, body: { a: 'x', b: 1 } });
      expect({ status: a.status, code: a.body.code }).toEqual({ status: 400, code: 'INVALID_PARAMETERS' });
      expect((await callApi(node, 'Add', { key: keys.mes, body: { a: 1, b: 1 } })).body).toBe(2);
    });
    // That failure was lost (logged as not recorded); the log records again once its table is back.
    expect(await recordedFailures(node)).toHaveLength(before);
    await callApi(node, 'Add', { key: keys.mes, body: { a: 'y', b: 1 } });
    expect((await recordedFailures(node)).slice(before).map((f) => f.code)).toEqual(['INVALID_PARAMETERS']);
  });
});
