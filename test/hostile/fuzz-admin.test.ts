// Issue 8, point 9: a fuzz suite for both admin APIs, against real
// `scadalink central` and `scadalink site` processes. Each surface gets at
// least 2,000 generated inputs, every one wrong by construction; each answer
// must be a 4xx with a stable code of the shape {"error": {"code", "message"}},
// nothing may be stored, the process must stay healthy, and its RSS must come
// back to where it started. FUZZ_SEED=<n> replays a run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../src/commons/index.js';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';
import { rawRequest } from '../support/raw-http.js';
import { Rng, brokenJson, enc, jsonValue, junk, notALimit, notATime, tooDeep, unknownName } from './fuzz-gen.js';

const INPUTS = 2_000;
const PARALLEL = 8;
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const PAYLOAD_LIMIT = 65_536;
/** How far RSS may end above its warmed-up level (allocator slack; measured: +2 to +5 MB per further 2,000 inputs). */
const RSS_SLACK_MB = 25;

interface Input {
  readonly family: string;
  readonly method: string;
  readonly target: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Refused on its declared length: the body is not sent (see rawRequest). */
  readonly headOnly?: boolean;
  /** Acceptable codes; any 4xx with a stable code when absent. */
  readonly codes?: readonly string[];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Sends the inputs, PARALLEL at a time; returns the answers that were not a coded 4xx of the expected kind. */
async function fuzz(port: number, inputs: readonly Input[]): Promise<unknown[]> {
  const bad: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      const answer = await rawRequest(port, input.method, input.target, { body: input.body, headers: input.headers, headOnly: input.headOnly });
      const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const coded = typeof error?.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(error.code) && typeof error.message === 'string';
      const expected = input.codes === undefined || input.codes.includes(error?.code as string);
      if (answer.status < 400 || answer.status > 499 || !coded || !expected) {
        bad.push({ family: input.family, request: `${input.method} ${input.target.slice(0, 150)}`, status: answer.status, body: answer.body.slice(0, 200) });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return bad;
}

/** Settles, then reads RSS; a few valid requests first so the comparison is warm against warm. */
async function settledRss(pid: number, port: number, valid: () => Input): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const v = valid();
    await rawRequest(port, v.method, v.target, { body: v.body, headers: v.headers });
  }
  return rssMb(pid);
}

function siteInputs(rng: Rng): Input[] {
  const json = { 'content-type': 'application/json' };
  const families: (() => Input)[] = [
    () => ({ family: 'unknown parameter', method: 'GET', target: `/admin/api/${rng.pick(['events', 'parked'])}?${enc(`z${junk(rng, 8)}`)}=${enc(junk(rng, 8))}`, codes: ['INVALID_QUERY'] }),
    () => {
      const name = rng.pick(['category', 'level', 'limit', 'since', 'before']);
      return { family: 'repeated parameter', method: 'GET', target: `/admin/api/events?${name}=${enc(junk(rng, 5))}&${name}=${enc(junk(rng, 5))}`, codes: ['INVALID_QUERY'] };
    },
    () => ({ family: 'bad category', method: 'GET', target: `/admin/api/events?category=${enc(unknownName(rng))}`, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad level', method: 'GET', target: `/admin/api/events?level=${enc(unknownName(rng))}`, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad limit', method: 'GET', target: `/admin/api/${rng.pick(['events', 'parked'])}?limit=${enc(notALimit(rng))}`, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad time', method: 'GET', target: `/admin/api/events?${rng.pick(['since', 'until'])}=${enc(notATime(rng))}`, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad before', method: 'GET', target: `/admin/api/events?before=${enc(rng.pick(['0', '-1', '1.5', 'abc', '', '0x10', ' 5', '1e3', '99999999999999999999', junk(rng, 6) + 'z']))}`, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad after', method: 'GET', target: `/admin/api/parked?after=${enc(junk(rng, 36))}`, codes: ['INVALID_QUERY'] }),
    () => {
      const v = jsonValue(rng);
      const body = v !== null && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify([v]) : JSON.stringify(v);
      return { family: 'call body not an object', method: 'POST', target: '/admin/api/instances/Pump1/scripts/submit/call', body, headers: json, codes: ['INVALID_REQUEST'] };
    },
    () => ({ family: 'call body not JSON', method: 'POST', target: '/admin/api/instances/Pump1/scripts/submit/call', body: brokenJson(rng), headers: json, codes: ['INVALID_JSON'] }),
    () => {
      const body = tooDeep(rng);
      return { family: 'call body too deep', method: 'POST', target: '/admin/api/instances/Pump1/scripts/submit/call', body, headOnly: body.length > PAYLOAD_LIMIT, headers: json, codes: ['INVALID_JSON', 'BODY_TOO_LARGE'] };
    },
    () => ({
      family: 'call body too large',
      headOnly: true,
      method: 'POST',
      target: '/admin/api/instances/Pump1/scripts/submit/call',
      body: JSON.stringify({ orderId: 'x'.repeat(PAYLOAD_LIMIT + rng.int(0, 200_000)) }),
      headers: json,
      codes: ['BODY_TOO_LARGE'],
    }),
    () => ({
      family: 'call body of another media type',
      method: 'POST',
      target: '/admin/api/instances/Pump1/scripts/submit/call',
      body: junk(rng, 30) || 'x',
      headers: { 'content-type': rng.pick(['text/x-junk', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) },
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
    }),
    () => ({ family: 'unknown instance', method: 'POST', target: `/admin/api/instances/${enc(unknownName(rng))}/scripts/submit/call`, body: '{}', headers: json, codes: ['UNKNOWN_INSTANCE'] }),
    () => ({ family: 'unknown script', method: 'POST', target: `/admin/api/instances/Pump1/scripts/${enc(unknownName(rng))}/call`, body: '{}', headers: json, codes: ['UNKNOWN_SCRIPT'] }),
    () => ({ family: 'unknown attribute', method: 'PUT', target: `/admin/api/instances/Pump1/attributes/${enc(unknownName(rng))}`, body: JSON.stringify({ value: 1 }), headers: json, codes: ['UNKNOWN_ATTRIBUTE'] }),
    () => ({
      family: 'attribute value of the wrong type',
      method: 'PUT',
      target: '/admin/api/instances/Pump1/attributes/Flow',
      body: JSON.stringify({ value: rng.pick([junk(rng, 10), true, false, [1], { a: 1 }]) }),
      headers: json,
      codes: ['INVALID_ATTRIBUTE_VALUE'],
    }),
    () => {
      const v = jsonValue(rng);
      const body = v !== null && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify({ ...v, value: undefined }) : JSON.stringify(v);
      return { family: 'attribute body without value', method: 'PUT', target: '/admin/api/instances/Pump1/attributes/Flow', body, headers: json, codes: ['INVALID_REQUEST'] };
    },
    () => ({ family: 'unknown operation', method: rng.pick(['GET', 'POST']), target: `/admin/api/operations/${rng.chance(0.5) ? newTrackedOperationId() : enc(junk(rng, 40) + 'q')}${rng.pick(['', '/retry', '/discard'])}`, codes: ['OPERATION_NOT_FOUND', 'NOT_FOUND'] }),
    () => ({ family: 'unknown route', method: rng.pick(['GET', 'POST', 'DELETE', 'PATCH', 'PUT']), target: `/admin/api/${enc(junk(rng, 20))}/${enc(junk(rng, 10))}x`, codes: ['NOT_FOUND'] }),
    () => ({ family: 'bad URL', method: 'GET', target: `/admin/api/operations/${rng.pick(['%', '%E0%A4%A', '%zz', '%C0%AF', '%ED%A0%80'])}`, codes: ['BAD_URL', 'OPERATION_NOT_FOUND'] }),
  ];
  return Array.from({ length: INPUTS }, () => rng.pick(families)());
}

function centralInputs(rng: Rng, admin: string, viewer: string): Input[] {
  const auth = { authorization: `Bearer ${admin}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const families: (() => Input)[] = [
    () => ({ family: 'no token', method: rng.pick(['GET', 'POST']), target: rng.pick(['/admin/api/kpis', '/admin/api/site-calls', '/admin/api/sites', '/admin/api/deployments']), codes: ['ADMIN_UNAUTHORIZED', 'NOT_FOUND'] }),
    () => ({
      family: 'wrong token',
      method: 'GET',
      target: '/admin/api/kpis',
      headers: { authorization: rng.pick([`Bearer ${junk(rng, 60)}`, `Bearer slk_${'A'.repeat(12)}.${junk(rng, 30)}x`, `Bearer ${admin.slice(0, -2)}zz`, junk(rng, 30), 'Basic YTpi']) },
      // A header the HTTP parser cannot read is refused before routing (BAD_REQUEST).
      codes: ['ADMIN_UNAUTHORIZED', 'BAD_REQUEST'],
    }),
    () => ({ family: 'viewer acts', method: 'POST', target: rng.pick(['/admin/api/deployments', `/admin/api/site-calls/${newTrackedOperationId()}/retry`]), headers: { authorization: `Bearer ${viewer}` }, codes: ['FORBIDDEN_ROLE'] }),
    () => ({ family: 'unknown parameter', method: 'GET', target: `/admin/api/site-calls?${enc(`z${junk(rng, 8)}`)}=${enc(junk(rng, 8))}`, headers: auth, codes: ['INVALID_QUERY'] }),
    () => {
      const name = rng.pick(['site', 'channel', 'status', 'from', 'to', 'after', 'limit']);
      return { family: 'repeated parameter', method: 'GET', target: `/admin/api/site-calls?${name}=${enc(junk(rng, 5))}&${name}=${enc(junk(rng, 5))}`, headers: auth, codes: ['INVALID_QUERY'] };
    },
    () => ({ family: 'bad channel or status', method: 'GET', target: `/admin/api/site-calls?${rng.pick(['channel', 'status'])}=${enc(unknownName(rng))}`, headers: auth, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad time', method: 'GET', target: `/admin/api/site-calls?${rng.pick(['from', 'to'])}=${enc(notATime(rng))}`, headers: auth, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad limit', method: 'GET', target: `/admin/api/site-calls?limit=${enc(notALimit(rng))}`, headers: auth, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'bad after', method: 'GET', target: `/admin/api/site-calls?after=${enc(junk(rng, 36))}`, headers: auth, codes: ['INVALID_QUERY'] }),
    () => ({ family: 'unknown operation', method: 'GET', target: `/admin/api/site-calls/${rng.chance(0.5) ? newTrackedOperationId() : enc(unknownName(rng))}`, headers: auth, codes: ['UNKNOWN_OPERATION'] }),
    () => ({ family: 'relay of an unknown operation', method: 'POST', target: `/admin/api/site-calls/${rng.chance(0.5) ? newTrackedOperationId() : enc(unknownName(rng))}/${rng.pick(['retry', 'discard'])}`, headers: auth, codes: ['UNKNOWN_OPERATION'] }),
    () => ({ family: 'body not JSON', method: 'POST', target: `/admin/api/site-calls/${newTrackedOperationId()}/retry`, body: brokenJson(rng), headers: json, codes: ['INVALID_JSON'] }),
    () => ({ family: 'body too deep', method: 'POST', target: '/admin/api/deployments', body: tooDeep(rng), headers: json, codes: ['INVALID_JSON'] }),
    () => ({ family: 'body too large', headOnly: true, method: 'POST', target: '/admin/api/deployments', body: JSON.stringify({ a: 'x'.repeat(1_048_577 + rng.int(0, 100_000)) }), headers: json, codes: ['BODY_TOO_LARGE'] }),
    () => ({
      family: 'body of another media type',
      method: 'POST',
      target: '/admin/api/deployments',
      body: junk(rng, 30) || 'x',
      headers: { ...auth, 'content-type': rng.pick(['text/x-junk', 'application/x-www-form-urlencoded', 'image/png']) },
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
    }),
    () => ({ family: 'unknown route', method: rng.pick(['GET', 'POST', 'DELETE', 'PUT']), target: `/admin/api/${enc(junk(rng, 20))}/${enc(junk(rng, 10))}x`, headers: auth, codes: ['NOT_FOUND'] }),
    () => ({ family: 'bad URL', method: 'GET', target: `/admin/api/site-calls/${rng.pick(['%', '%E0%A4%A', '%zz', '%C0%AF'])}`, headers: auth, codes: ['BAD_URL', 'UNKNOWN_OPERATION'] }),
  ];
  return Array.from({ length: INPUTS }, () => rng.pick(families)());
}

describe('issue 8 point 9: fuzzing both admin APIs of real processes', { timeout: 180_000 }, () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    tmp = tempDir();
    const centralData = join(tmp.dir, 'central');
    admin = runCli(['central', 'token', 'create', '--create', '--role', 'Admin', '--name', 'fuzz', '--data', centralData]).stdout.trim();
    viewer = runCli(['central', 'token', 'create', '--create', '--role', 'Viewer', '--name', 'watch', '--data', centralData]).stdout.trim();
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: { site: 'plant1', attributes: { Flow: { type: 'number', initial: 7 } }, scripts: { submit: { file: 'submit.js', triggers: ['call'] } } },
        },
        externalSystems: { ERP: { baseUrl: 'http://127.0.0.1:9', maxRetries: 1, retryInterval: '1h', methods: { post: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } } } } },
      },
      { 'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });` },
    );
    [central, site] = await Promise.all([
      SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']),
      SiteProcess.start(['--project', projectDir, '--data', join(tmp.dir, 'site'), '--port', '0', '--script-payload-limit', String(PAYLOAD_LIMIT)]),
    ]);
  });
  afterAll(async () => {
    await site?.terminate();
    await central?.terminate();
    tmp.cleanup();
  });

  it(`site admin API: ${INPUTS} malformed requests are each a coded 4xx, store nothing, and leave the process healthy with its RSS back at its level (seed ${SEED})`, async () => {
    const port = Number(new URL(site!.url).port);
    const valid = (): Input => ({ family: 'valid', method: 'GET', target: '/admin/api/events?limit=5' });
    // Warm-up: a first small round sets the heap's high-water mark (one large
    // body raises it once); the 2,000 inputs after it must not raise it further.
    await fuzz(port, siteInputs(new Rng(SEED + 100)).slice(0, 200));
    const before = await settledRss(site!.child.pid!, port, valid);
    const inputs = siteInputs(new Rng(SEED));
    expect(new Set(inputs.map((i) => i.family)).size).toBeGreaterThan(15);
    expect(await fuzz(port, inputs)).toEqual([]);

    expect(site!.alive).toBe(true);
    expect((await rawRequest(port, 'GET', '/health')).status).toBe(200);
    // Nothing stored: no operation, no attribute change, no operator action.
    const metrics = (await rawRequest(port, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/^scadalink_sf_buffer_depth\{site="plant1"\} 0$/m);
    expect((await rawRequest(port, 'GET', '/admin/api/instances/Pump1/attributes')).json).toMatchObject({ Flow: 7 });
    expect((await rawRequest(port, 'GET', '/admin/api/events?category=OperatorAction')).json).toEqual([]);
    const after = await settledRss(site!.child.pid!, port, valid);
    expect(after, `RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`).toBeLessThan(before + RSS_SLACK_MB);
  });

  it(`central admin API: ${INPUTS} malformed requests are each a coded 4xx, store nothing, and leave the process healthy with its RSS back at its level (seed ${SEED})`, async () => {
    const port = Number(new URL(central!.url).port);
    const valid = (): Input => ({ family: 'valid', method: 'GET', target: '/admin/api/kpis', headers: { authorization: `Bearer ${admin}` } });
    await fuzz(port, centralInputs(new Rng(SEED + 101), admin, viewer).slice(0, 200));
    const before = await settledRss(central!.child.pid!, port, valid);
    const inputs = centralInputs(new Rng(SEED + 1), admin, viewer);
    expect(new Set(inputs.map((i) => i.family)).size).toBeGreaterThan(12);
    expect(await fuzz(port, inputs)).toEqual([]);

    expect(central!.alive).toBe(true);
    expect((await rawRequest(port, 'GET', '/health')).status).toBe(200);
    const calls = await rawRequest(port, 'GET', '/admin/api/site-calls', { headers: { authorization: `Bearer ${admin}` } });
    expect(calls.json).toEqual({ items: [], next: null });
    const sites = await rawRequest(port, 'GET', '/admin/api/sites', { headers: { authorization: `Bearer ${admin}` } });
    expect(sites.json).toEqual({ latestRevision: null, sites: [] });
    const after = await settledRss(central!.child.pid!, port, valid);
    expect(after, `RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`).toBeLessThan(before + RSS_SLACK_MB);
  });
});
