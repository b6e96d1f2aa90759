// Issue 8, point 7: every error answer of both admin APIs has the shape
// {"error": {"code", "message"}} with a stable code, Fastify's own refusals
// included, and no client mistake is a 500. Script arguments and return values
// have a size limit with a clear code beyond it.
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
const LIMIT = 16_384;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly headOnly?: boolean;
  readonly status: number;
  readonly code: string;
}

async function expectAnswers(port: number, cases: readonly Case[], auth: Readonly<Record<string, string>>): Promise<void> {
  const wrong: unknown[] = [];
  for (const c of cases) {
    const answer = await rawRequest(port, c.method, c.target, { body: c.body, headers: { ...auth, ...c.headers }, headOnly: c.headOnly });
    const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const shaped = typeof error?.code === 'string' && typeof error.message === 'string';
    if (answer.status !== c.status || !shaped || error?.code !== c.code) {
      wrong.push({ case: c.name, status: answer.status, body: answer.body.slice(0, 300) });
    }
  }
  expect(wrong).toEqual([]);
}

const deep = (n: number): string => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;

describe('issue 8 point 7: stable error codes on both admin APIs, no 500 for a client mistake', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralNode;
  let site: SiteNode;
  let centralPort: number;
  let sitePort: number;
  let token: string;

  beforeAll(async () => {
    tmp = tempDir();
    central = await startCentralNode({ dataDir: join(tmp.dir, 'central'), port: 0, grpcPort: 0, logger, maintenanceOnStart: false });
    token = await createToken(central.repo, 'alice', 'Admin');
    centralPort = Number(new URL(central.url).port);
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            attributes: { Flow: { type: 'number', initial: 0 } },
            scripts: {
              echo: { file: 'echo.js', triggers: ['call'] },
              big: { file: 'big.js', triggers: ['call'] },
              relay: { file: 'relay.js', triggers: ['call'] },
            },
          },
        },
        sharedScripts: { Sink: { file: 'sink.js' } },
      },
      {
        'echo.js': `return Parameters;`,
        'big.js': `return 'x'.repeat(Parameters.n);`,
        'relay.js': `return await Scripts.Call('Sink', { blob: 'y'.repeat(Parameters.n) });`,
        'sink.js': `return 1;`,
      },
    );
    site = await startSiteNode({ projectDir, dataDir: join(tmp.dir, 'site'), port: 0, logger, scriptPayloadLimitBytes: LIMIT });
    sitePort = Number(new URL(site.url).port);
  });
  afterAll(async () => {
    await site?.stop();
    await central?.stop();
    tmp.cleanup();
  });

  it('central: repeated, unknown and bad query parameters, bad URLs, unknown routes, bodies too large, too deep or not JSON', async () => {
    const id = newTrackedOperationId();
    await expectAnswers(
      centralPort,
      [
        { name: 'repeated site', method: 'GET', target: '/admin/api/site-calls?site=a&site=b', status: 400, code: 'INVALID_QUERY' },
        { name: 'repeated after', method: 'GET', target: `/admin/api/site-calls?after=${id}&after=${id}`, status: 400, code: 'INVALID_QUERY' },
        { name: 'unknown parameter', method: 'GET', target: '/admin/api/site-calls?colour=red', status: 400, code: 'INVALID_QUERY' },
        { name: 'bad percent-encoding', method: 'GET', target: '/admin/api/site-calls/%E0%A4%A', status: 400, code: 'BAD_URL' },
        { name: 'unknown route', method: 'GET', target: '/admin/api/nothing', status: 404, code: 'NOT_FOUND' },
        { name: 'unknown operation', method: 'GET', target: `/admin/api/site-calls/${id}`, status: 404, code: 'UNKNOWN_OPERATION' },
        { name: 'body too large', headOnly: true, method: 'POST', target: `/admin/api/site-calls/${id}/retry`, body: `{"a":"${'z'.repeat(1_100_000)}"}`, status: 413, code: 'BODY_TOO_LARGE' },
        { name: 'not JSON', method: 'POST', target: `/admin/api/site-calls/${id}/retry`, body: '{"a":', status: 400, code: 'INVALID_JSON' },
        { name: 'too deep', method: 'POST', target: `/admin/api/site-calls/${id}/retry`, body: deep(100_000), status: 400, code: 'INVALID_JSON' },
        { name: 'prototype poisoning', method: 'POST', target: `/admin/api/site-calls/${id}/retry`, body: '{"__proto__":{"x":1}}', status: 400, code: 'INVALID_JSON' },
        {
          name: 'unsupported media type',
          method: 'POST',
          target: `/admin/api/site-calls/${id}/retry`,
          body: 'hello',
          headers: { 'content-type': 'text/x-unknown' },
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        },
      ],
      { authorization: `Bearer ${token}` },
    );
  });

  it('site: strict query parameters (repeated, unknown category or level, bad limit, since, before, after) answer 400 INVALID_QUERY', async () => {
    const id = newTrackedOperationId();
    const queries = [
      'events?category=a&category=b',
      'events?category=Parkd',
      'events?level=bogus',
      'events?limit=abc',
      'events?limit=0',
      'events?since=2h',
      'events?before=abc',
      'events?colour=red',
      `parked?after=${id}&after=${id}`,
      'parked?after=not-an-id',
      'parked?limit=-5',
      'parked?limit=abc',
    ];
    await expectAnswers(
      sitePort,
      queries.map((q) => ({ name: q, method: 'GET', target: `/admin/api/${q}`, status: 400, code: 'INVALID_QUERY' })),
      {},
    );
    const ok = await rawRequest(sitePort, 'GET', '/admin/api/events?category=Lifecycle&level=info&since=2026-01-01T00:00:00Z&limit=5');
    expect(ok.status).toBe(200);
  });

  it('site: script calls refuse bodies that are not an object, too deep, too large, or a result over the payload limit', async () => {
    const call = '/admin/api/instances/Pump1/scripts/echo/call';
    await expectAnswers(
      sitePort,
      [
        { name: 'array body', method: 'POST', target: call, body: '[1,2]', status: 400, code: 'INVALID_REQUEST' },
        { name: 'string body', method: 'POST', target: call, body: '"x"', status: 400, code: 'INVALID_REQUEST' },
        { name: 'too deep', method: 'POST', target: call, body: deep(5_000), status: 400, code: 'INVALID_JSON' },
        { name: 'over the limit', headOnly: true, method: 'POST', target: call, body: `{"a":"${'z'.repeat(LIMIT)}"}`, status: 413, code: 'BODY_TOO_LARGE' },
        {
          name: 'result over the limit',
          method: 'POST',
          target: '/admin/api/instances/Pump1/scripts/big/call',
          body: JSON.stringify({ n: LIMIT + 1 }),
          status: 413,
          code: 'SCRIPT_PAYLOAD_TOO_LARGE',
        },
        {
          name: 'Scripts.Call arguments over the limit',
          method: 'POST',
          target: '/admin/api/instances/Pump1/scripts/relay/call',
          body: JSON.stringify({ n: LIMIT + 1 }),
          status: 413,
          code: 'SCRIPT_PAYLOAD_TOO_LARGE',
        },
        { name: 'retry body not an object', method: 'POST', target: `/admin/api/operations/${newTrackedOperationId()}/retry`, body: '[]', status: 400, code: 'INVALID_REQUEST' },
        { name: 'attribute body without value', method: 'PUT', target: '/admin/api/instances/Pump1/attributes/Flow', body: '{}', status: 400, code: 'INVALID_REQUEST' },
        { name: 'unknown route', method: 'GET', target: '/admin/api/nothing', status: 404, code: 'NOT_FOUND' },
      ],
      {},
    );
    // Within the limits the same routes work.
    const echoed = await rawRequest(sitePort, 'POST', call, { body: JSON.stringify({ a: 'z'.repeat(1000) }) });
    expect(echoed.status).toBe(200);
    const big = await rawRequest(sitePort, 'POST', '/admin/api/instances/Pump1/scripts/big/call', { body: JSON.stringify({ n: 1000 }) });
    expect(big.status).toBe(200);
  });
});
