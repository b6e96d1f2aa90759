// What only the threaded gateway has: calls cross to a worker thread in
// batches, one caller signal stands for many calls, values that cannot cross
// fail alone, and an idle thread does not hold the process open.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThreadedHttpGateway } from '../../../src/integrations/index.js';
import { packageRoot } from '../../../src/commons/index.js';
import { json, startLoopback, type Loopback } from './loopback.js';
import { failure, system } from './fixtures.js';

let server: Loopback;
let gateway: ThreadedHttpGateway;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = await startLoopback((req, res) => {
    if (req.url.startsWith('/hang')) hanging.push(res);
    else json(res, 200, { url: req.url, key: req.headers['idempotency-key'] ?? null });
  });
  gateway = new ThreadedHttpGateway({ connectionsPerOrigin: 8 });
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  await gateway.close();
  await server.close();
});

const target = () =>
  system(server.baseUrl, {
    get: { verb: 'GET', path: 'items/{n}', parameters: [{ name: 'n', type: 'integer', required: true }] },
    hang: { verb: 'GET', path: 'hang/{n}', parameters: [{ name: 'n', type: 'integer', required: true }] },
    post: { verb: 'POST', path: 'items', parameters: [{ name: 'value', type: 'object', required: false }] },
  });

describe('ThreadedHttpGateway', () => {
  it('answers each of many concurrent calls with its own result', async () => {
    const sys = target();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, n) => gateway.call(sys, 'get', { n }, { idempotencyKey: `op-${n}` })),
    );
    results.forEach((r, n) => {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ url: `/items/${n}`, key: `op-${n}` });
    });
  });

  it('aborts every call made with one signal when it fires, and refuses new calls with it', async () => {
    const sys = target();
    const controller = new AbortController();
    const calls = [1, 2, 3].map((n) => failure(gateway.call(sys, 'hang', { n }, { signal: controller.signal })));
    const bystander = new AbortController();
    const other = gateway.call(sys, 'get', { n: 9 }, { signal: bystander.signal });
    while (hanging.length < 3) await server.nextRequest();
    controller.abort();
    for (const err of await Promise.all(calls)) {
      expect(err.code).toBe('HTTP_ABORTED');
      expect(err.classification).toBe('transient');
    }
    expect((await other).status).toBe(200);
    const late = await failure(gateway.call(sys, 'get', { n: 1 }, { signal: controller.signal }));
    expect(late.code).toBe('HTTP_ABORTED');
  });

  it('fails only the call whose parameters cannot cross to the thread, as permanent INVALID_PARAMETERS', async () => {
    const sys = target();
    const good = gateway.call(sys, 'get', { n: 5 });
    const bad = failure(gateway.call(sys, 'post', { value: { f: () => 1 } }));
    expect((await good).status).toBe(200);
    const err = await bad;
    expect(err.code).toBe('INVALID_PARAMETERS');
    expect(err.classification).toBe('permanent');
  });

  it('does not keep the process alive once its calls are done', async () => {
    // A child process that makes one call and never closes the gateway must exit on its own.
    const entry = pathToFileURL(join(packageRoot(), 'dist', 'integrations', 'index.js')).href;
    const script = `
      import { ThreadedHttpGateway } from ${JSON.stringify(entry)};
      const gw = new ThreadedHttpGateway();
      const sys = ${JSON.stringify(target())};
      const res = await gw.call(sys, 'get', { n: 7 });
      console.log(JSON.stringify(res.body));`;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : (child.exitCode ?? -1), stdout, stderr }),
      );
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ url: '/items/7', key: null });
  });
});
