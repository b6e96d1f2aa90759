// `POST /api/{method}` on a real central node (in-process, real HTTP, SQLite
// central database): every answer code of the endpoint, in the order of its
// checks, parameters and return types, and GET /api/openapi.json.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CentralNode, INBOUND_ERRORS, setApiKeyDisabled } from '../../../src/central/index.js';
import { tempDir } from '../../support/index.js';
import { type Answer, callApi, recordedFailures, startApiCentral } from './endpoint-fixture.js';

const expectError = (a: Answer, status: number, code: string): void => {
  expect({ status: a.status, code: a.body?.code }).toEqual({ status, code });
  expect(Object.keys(a.body).sort()).toEqual(code === 'INVALID_PARAMETERS' ? ['code', 'details', 'error'] : ['code', 'error']);
  expect(typeof a.body.error).toBe('string');
  expect(INBOUND_ERRORS.find((e) => e.code === code)?.status).toBe(status);
};

describe('the Inbound API endpoint (issue 11 points 1, 3 and 9)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let keys: { mes: string; erp: string };

  beforeAll(async () => {
    tmp = tempDir();
    ({ node, keys } = await startApiCentral(tmp.dir, { apiBodyLimitBytes: 4096 }));
  });
  afterAll(async () => {
    await node.stop();
    tmp.cleanup();
  });

  it('issue 11 point 1: a method with a valid, approved key and well-typed parameters answers 200 with its return value as JSON', async () => {
    const a = await callApi(node, 'Add', { key: keys.mes, body: { a: 2, b: 40 } });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(a.body).toBe(42);
    const ping = await callApi(node, 'Ping', { key: keys.erp });
    expect({ status: ping.status, body: ping.body }).toEqual({ status: 200, body: 'pong' });
  });

  it('issue 11 point 1: no key is 401 API_KEY_MISSING; an unknown, malformed or disabled key is 401 API_KEY_INVALID', async () => {
    expectError(await callApi(node, 'Add', { body: { a: 1, b: 2 } }), 401, 'API_KEY_MISSING');
    expectError(await callApi(node, 'Add', { key: `slk_api_${'A'.repeat(43)}`, body: { a: 1, b: 2 } }), 401, 'API_KEY_INVALID');
    expectError(await callApi(node, 'Add', { key: 'not-a-key', body: { a: 1, b: 2 } }), 401, 'API_KEY_INVALID');
    await setApiKeyDisabled(node.repo, 'test', 'erp', true);
    try {
      expectError(await callApi(node, 'Ping', { key: keys.erp }), 401, 'API_KEY_INVALID');
    } finally {
      await setApiKeyDisabled(node.repo, 'test', 'erp', false);
    }
    expect((await callApi(node, 'Ping', { key: keys.erp })).status).toBe(200);
  });

  it('issue 11 point 2: a key disabled behind this node\'s back (another replica, the CLI) is refused within 1 s despite the kept key row', async () => {
    expect((await callApi(node, 'Ping', { key: keys.erp })).status).toBe(200); // its row is now kept
    await node.repo.setApiKeyDisabled('erp', true);
    const disabledAt = performance.now();
    try {
      // Bounded poll: nothing announces the moment the kept row is read again.
      while ((await callApi(node, 'Ping', { key: keys.erp })).status === 200) {
        expect(performance.now() - disabledAt).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(performance.now() - disabledAt).toBeLessThan(1000);
      expectError(await callApi(node, 'Ping', { key: keys.erp }), 401, 'API_KEY_INVALID');
    } finally {
      await setApiKeyDisabled(node.repo, 'test', 'erp', false);
    }
    // Enabled through the admin function of this node: at once, not after the kept row ages.
    expect((await callApi(node, 'Ping', { key: keys.erp })).status).toBe(200);
  });

  it('issue 11 point 1: checks run in order: key (401) before method (404) before approval (403) before the body (415, 413, 400)', async () => {
    expectError(await callApi(node, 'NoSuchMethod', { body: 'not json' }), 401, 'API_KEY_MISSING');
    expectError(await callApi(node, 'NoSuchMethod', { key: keys.mes, body: 'not json' }), 404, 'UNKNOWN_METHOD');
    expectError(await callApi(node, 'ErpOnly', { key: keys.mes, body: 'not json' }), 403, 'API_KEY_NOT_APPROVED');
    expectError(await callApi(node, 'ErpOnly', { key: keys.mes, body: 'x'.repeat(10_000) }), 403, 'API_KEY_NOT_APPROVED');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '{"a":1,"b":2}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '<a>1</a>', headers: { 'content-type': 'application/xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const untyped = await fetch(`${node.url}/api/Add`, { method: 'POST', headers: { 'x-api-key': keys.mes }, body: new Uint8Array(Buffer.from('{"a":1,"b":2}')) });
    expect({ status: untyped.status, body: await untyped.json() }).toEqual({ status: 415, body: { error: expect.any(String), code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '{"a":1,"b":2}', headers: { 'content-type': 'application/json; charset=latin1' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: { a: 1, b: 2, pad: 'x'.repeat(5000) } }), 413, 'BODY_TOO_LARGE');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '{"a":1,' }), 400, 'INVALID_JSON');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]' }), 400, 'INVALID_JSON');
    expectError(await callApi(node, 'Add', { key: keys.mes, body: '"a string"' }), 400, 'INVALID_PARAMETERS');
  });

  it('issue 11 point 3: INVALID_PARAMETERS lists every missing, unknown and wrongly typed field with its path', async () => {
    const a = await callApi(node, 'Echo', { key: keys.mes, body: { batch: { id: 7, items: [{ qty: 1.5 }, { qty: '2' }, {}] }, extra: true } });
    expectError(a, 400, 'INVALID_PARAMETERS');
    expect(a.body.details.problems).toEqual(
      expect.arrayContaining([
        { path: '$.batch.id', problem: 'expected String, got Integer' },
        { path: '$.batch.items[0].qty', problem: 'expected Integer, got Float' },
        { path: '$.batch.items[1].qty', problem: 'expected Integer, got String' },
        { path: '$.batch.items[2].qty', problem: 'missing' },
        { path: '$.extra', problem: 'unknown field' },
      ]),
    );
    expect(a.body.details.problems).toHaveLength(5);
    const missing = await callApi(node, 'Add', { key: keys.mes, body: { a: 1 } });
    expect(missing.body.details.problems).toEqual([{ path: '$.b', problem: 'missing' }]);
  });

  it('issue 11 point 3: Object and List parameters reach the script and its Object return value is sent as JSON', async () => {
    const a = await callApi(node, 'Echo', { key: keys.mes, body: { batch: { id: 'B-7', items: [{ qty: 3 }, { qty: 4 }] } } });
    expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: { id: 'B-7', total: 7, note: null } });
    const noted = await callApi(node, 'Echo', { key: keys.mes, body: { batch: { id: 'B-8', items: [] }, note: 'ü ✓ 😀' } });
    expect(noted.body).toEqual({ id: 'B-8', total: 0, note: 'ü ✓ 😀' });
  });

  it('issue 11 point 3: a return value that does not match the definition is 500 RETURN_TYPE_MISMATCH, recorded as a failure, never a malformed 200', async () => {
    const before = (await recordedFailures(node)).length;
    const a = await callApi(node, 'BadReturn', { key: keys.mes });
    expectError(a, 500, 'RETURN_TYPE_MISMATCH');
    expect(a.text).not.toContain('not a number');
    expect((await recordedFailures(node)).slice(before)).toEqual([expect.objectContaining({ method: 'BadReturn', keyName: 'mes', code: 'RETURN_TYPE_MISMATCH', status: 500, site: null })]);
  });

  it('issue 11 point 1: an empty body calls a method without parameters; a JSON content type with a charset is accepted', async () => {
    expect((await callApi(node, 'Ping', { key: keys.mes, headers: { 'content-type': 'application/json' } })).body).toBe('pong');
    const a = await callApi(node, 'Add', { key: keys.mes, body: '{"a":1,"b":1}', headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
    expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: 2 });
  });

  it('issue 11 point 1: other verbs and paths under /api answer {"error","code"} too', async () => {
    const res = await fetch(`${node.url}/api/Add`, { headers: { 'x-api-key': keys.mes } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: expect.any(String), code: 'UNKNOWN_METHOD' });
  });

  it('issue 11 point 7: a method name of any length is 404 UNKNOWN_METHOD, recorded whole up to 200 characters and cut to 200 ending with … beyond', async () => {
    const before = (await recordedFailures(node)).length;
    const mid = `Nope${'m'.repeat(146)}`;
    const long = `Nope${'l'.repeat(996)}`;
    for (const name of [mid, long]) {
      const a = await callApi(node, name, { key: keys.mes });
      expect({ status: a.status, code: a.body.code }).toEqual({ status: 404, code: 'UNKNOWN_METHOD' });
    }
    expect((await recordedFailures(node)).slice(before).map((f) => f.method)).toEqual([mid, `${long.slice(0, 199)}…`]);
  });

  it('issue 11 point 9: GET /api/openapi.json needs no key and describes the served methods; a standard validator accepts it', async () => {
    const res = await fetch(`${node.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; info: { version: string } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/Add', '/api/Echo', '/api/Ping']));
    expect(doc.info.version).toBe('1');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.valid).toBe(true);
  });
});
