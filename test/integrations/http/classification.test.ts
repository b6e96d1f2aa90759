// DESIGN §3.2 against real sockets: every status class, a hung server, a reset,
// a refused port and a DNS failure, each classified as the dispatcher expects.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyHttpStatus, type HttpCaller } from '../../../src/integrations/index.js';
import { startLoopback, type Loopback } from './loopback.js';
import { GATEWAYS, failure, system } from './fixtures.js';

describe('classifyHttpStatus', () => {
  it('follows DESIGN §3.2', () => {
    expect([200, 201, 204, 299].map(classifyHttpStatus)).toEqual(['success', 'success', 'success', 'success']);
    expect([408, 429, 500, 502, 503, 504, 599].map(classifyHttpStatus)).toEqual(Array(7).fill('transient'));
    expect([100, 301, 304, 400, 401, 403, 404, 409, 422, 499, 600].map(classifyHttpStatus)).toEqual(
      Array(11).fill('permanent'),
    );
  });
});

// Both gateways: the site runs the threaded one; they must behave alike.
describe.each(GATEWAYS)('%s', (_kind, make) => {
  let server: Loopback;
  let gateway: HttpCaller;
  /** Responses the hang handlers left open; ended by the server's close. */
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    // The request path picks the behaviour: /status/<code>, /hang, /hang-body, /reset, /reset-body.
    server = await startLoopback((req, res, raw) => {
      const [, kind, arg] = req.url.split('/');
      if (kind === 'status') {
        const status = Number(arg);
        if (status === 201 || status === 204) {
          res.writeHead(status);
          res.end();
        } else if (status === 301) {
          res.writeHead(301, { location: 'http://127.0.0.1:1/elsewhere' });
          res.end();
        } else {
          const body = JSON.stringify({ status, error: `reason ${status}`, echoedAuth: req.headers.authorization });
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(status === 200 ? JSON.stringify({ ok: true }) : body);
        }
      } else if (kind === 'long') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(5_000));
      } else if (kind === 'hang') {
        hanging.push(res);
      } else if (kind === 'hang-body') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
        hanging.push(res);
      } else if (kind === 'reset') {
        raw.socket.destroy();
      } else if (kind === 'reset-body') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":', () => raw.socket.destroy());
      }
    });
    gateway = make();
  });
  afterAll(async () => {
    await gateway.close();
    await server.close();
  });

  function target(path: string, timeoutMs = 2_000, baseUrl = server.baseUrl) {
    return system(
      baseUrl,
      { call: { verb: 'POST', path } },
      { timeoutMs, auth: { type: 'basic', username: 'scada', password: 'hunter2-secret' } },
    );
  }


  describe('HttpGateway status handling', () => {
    it('returns 200 with its JSON body and 201 with an empty body as undefined', async () => {
      expect(await gateway.call(target('status/200'), 'call', {})).toEqual({ status: 200, body: { ok: true } });
      expect(await gateway.call(target('status/201'), 'call', {})).toEqual({ status: 201, body: undefined });
    });

    const failures: [number, 'transient' | 'permanent'][] = [
      [301, 'permanent'],
      [400, 'permanent'],
      [401, 'permanent'],
      [404, 'permanent'],
      [408, 'transient'],
      [429, 'transient'],
      [500, 'transient'],
      [503, 'transient'],
    ];
    it.each(failures)('%i → %s HTTP_STATUS', async (status, classification) => {
      const err = await failure(gateway.call(target(`status/${status}`), 'call', {}));
      expect(err.code).toBe('HTTP_STATUS');
      expect(err.classification).toBe(classification);
      expect(err.transient).toBe(classification === 'transient');
      expect(err.httpStatus).toBe(status);
      expect(err.message).toContain(`HTTP ${status}`);
      if (status !== 301) expect(err.message).toContain(`reason ${status}`);
      expect(err.details).toMatchObject({ system: 'ERP', method: 'call', httpStatus: status });
    });

    it('keeps credentials out of the error even when the server echoes them', async () => {
      const err = await failure(gateway.call(target('status/401'), 'call', {}));
      const token = Buffer.from('scada:hunter2-secret').toString('base64');
      expect(err.message).not.toContain(token);
      expect(err.message).not.toContain('hunter2-secret');
      expect(err.message).toContain('***');
      expect(JSON.stringify(err.details)).not.toContain(token);
    });

    it('cuts the body in the message to about 200 characters', async () => {
      const err = await failure(gateway.call(target('long'), 'call', {}));
      expect(err.httpStatus).toBe(500);
      expect(err.message.length).toBeLessThan(260);
      expect(err.message.endsWith('…')).toBe(true);
    });
  });

  describe('HttpGateway transport failures', () => {
    it('times out a server that never answers → transient HTTP_TIMEOUT within the deadline', async () => {
      const started = performance.now();
      const err = await failure(gateway.call(target('hang', 150), 'call', {}));
      const elapsed = performance.now() - started;
      expect(err.code).toBe('HTTP_TIMEOUT');
      expect(err.classification).toBe('transient');
      expect(err.httpStatus).toBeUndefined();
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(1_000);
    });

    it('counts reading the body against the same deadline', async () => {
      const started = performance.now();
      const err = await failure(gateway.call(target('hang-body', 150), 'call', {}));
      expect(err.code).toBe('HTTP_TIMEOUT');
      expect(err.classification).toBe('transient');
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it('classifies a reset before the response as transient HTTP_CONNECTION', async () => {
      const err = await failure(gateway.call(target('reset'), 'call', {}));
      expect(err.code).toBe('HTTP_CONNECTION');
      expect(err.classification).toBe('transient');
      expect(err.message).not.toContain('hunter2-secret');
    });

    it('classifies a reset in the middle of the body as transient HTTP_CONNECTION', async () => {
      const err = await failure(gateway.call(target('reset-body'), 'call', {}));
      expect(err.code).toBe('HTTP_CONNECTION');
      expect(err.classification).toBe('transient');
    });

    it('classifies a refused connection as transient HTTP_CONNECTION', async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const err = await failure(gateway.call(target('x', 2_000, `http://127.0.0.1:${port}`), 'call', {}));
      expect(err.code).toBe('HTTP_CONNECTION');
      expect(err.classification).toBe('transient');
      expect(err.details).toMatchObject({ errorCode: 'ECONNREFUSED' });
    });

    it('classifies a DNS failure as transient HTTP_CONNECTION', async () => {
      // .invalid never resolves (RFC 6761).
      const err = await failure(gateway.call(target('x', 2_000, 'http://scadalink-test.invalid'), 'call', {}));
      expect(err.code).toBe('HTTP_CONNECTION');
      expect(err.classification).toBe('transient');
      expect(err.details).toMatchObject({ errorCode: 'ENOTFOUND' });
    });

    it('stops when the caller aborts → transient HTTP_ABORTED', async () => {
      const controller = new AbortController();
      const received = server.nextRequest();
      const call = failure(gateway.call(target('hang', 5_000), 'call', {}, { signal: controller.signal }));
      await received;
      controller.abort();
      const err = await call;
      expect(err.code).toBe('HTTP_ABORTED');
      expect(err.classification).toBe('transient');

      const already = await failure(gateway.call(target('status/200'), 'call', {}, { signal: AbortSignal.abort() }));
      expect(already.code).toBe('HTTP_ABORTED');
    });

    it('refuses calls after close() as transient HTTP_GATEWAY_CLOSED', async () => {
      const gw = make();
      await gw.call(target('status/200'), 'call', {});
      await gw.close();
      const err = await failure(gw.call(target('status/200'), 'call', {}));
      expect(err.code).toBe('HTTP_GATEWAY_CLOSED');
      expect(err.classification).toBe('transient');
    });

    it('rejects a base URL that is not http(s) as permanent HTTP_REQUEST_INVALID without echoing it', async () => {
      const err = await failure(gateway.call(target('x', 2_000, 'ftp://user:pw@host/'), 'call', {}));
      expect(err.code).toBe('HTTP_REQUEST_INVALID');
      expect(err.classification).toBe('permanent');
      expect(err.message).not.toContain('pw');
    });
  });
});
