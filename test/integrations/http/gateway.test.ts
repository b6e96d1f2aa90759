import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCaller } from '../../../src/integrations/index.js';
import { echo, startLoopback, type Loopback } from './loopback.js';
import { GATEWAYS, failure, system } from './fixtures.js';

// Both gateways: the site runs the threaded one; they must behave alike.
describe.each(GATEWAYS)('%s', (_kind, make) => {
  let server: Loopback;
  let gateway: HttpCaller;

  beforeAll(async () => {
    server = await startLoopback();
    gateway = make({ connectionsPerOrigin: 4 });
  });
  afterAll(async () => {
    await gateway.close();
    await server.close();
  });
  afterEach(() => {
    server.setHandler(echo);
    server.received.length = 0;
  });

  interface Echo {
    method: string;
    url: string;
    headers: Record<string, string | undefined>;
    body: unknown;
  }

  const orders = () =>
    system(`${server.baseUrl}/api/`, {
      create: {
        verb: 'POST',
        path: '/orders',
        parameters: [
          { name: 'item', type: 'string', required: true },
          { name: 'qty', type: 'integer', required: true },
          { name: 'price', type: 'number', required: false },
          { name: 'urgent', type: 'boolean', required: false },
          { name: 'meta', type: 'object', required: false },
          { name: 'tags', type: 'list', required: false },
        ],
      },
      find: {
        verb: 'GET',
        path: 'orders',
        parameters: [
          { name: 'status', type: 'string', required: false },
          { name: 'limit', type: 'integer', required: false },
          { name: 'filter', type: 'object', required: false },
          { name: 'ids', type: 'list', required: false },
          { name: 'open', type: 'boolean', required: false },
        ],
      },
      updateLine: {
        verb: 'PUT',
        path: 'orders/{orderId}/lines/{line}',
        parameters: [
          { name: 'orderId', type: 'string', required: true },
          { name: 'line', type: 'integer', required: true },
          { name: 'qty', type: 'integer', required: true },
        ],
      },
      removeLine: {
        verb: 'DELETE',
        path: 'orders/{orderId}/lines/{line}',
        parameters: [
          { name: 'orderId', type: 'string', required: true },
          { name: 'line', type: 'integer', required: true },
          { name: 'reason', type: 'string', required: false },
        ],
      },
      ping: { verb: 'GET', path: '' },
    });

  describe('HttpGateway requests', () => {
    it('POSTs the params as a JSON body and returns the parsed JSON response', async () => {
      const params = { item: 'valve', qty: 3, price: 9.5, urgent: true, meta: { line: 'A' }, tags: ['x', 'y'] };
      const result = await gateway.call(orders(), 'create', params);
      expect(result.status).toBe(200);
      const echoed = result.body as Echo;
      expect(echoed.method).toBe('POST');
      expect(echoed.url).toBe('/api/orders');
      expect(echoed.headers['content-type']).toBe('application/json');
      expect(echoed.body).toEqual(params);
    });

    it('sends GET params as a query string, JSON-encoding objects and lists, leaving out null', async () => {
      const result = await gateway.call(orders(), 'find', {
        status: 'open & new',
        limit: 10,
        filter: { site: 'North' },
        ids: [1, 2],
        open: false,
        // absent (undefined) is not sent
        undeclared: undefined,
      });
      const echoed = result.body as Echo;
      expect(echoed.method).toBe('GET');
      const url = new URL(echoed.url, 'http://x');
      expect(url.pathname).toBe('/api/orders');
      expect(url.searchParams.get('status')).toBe('open & new');
      expect(url.searchParams.get('limit')).toBe('10');
      expect(url.searchParams.get('filter')).toBe('{"site":"North"}');
      expect(url.searchParams.get('ids')).toBe('[1,2]');
      expect(url.searchParams.get('open')).toBe('false');
      expect([...url.searchParams.keys()]).toHaveLength(5);
      expect(echoed.body).toBeUndefined();
      expect(echoed.headers['content-type']).toBeUndefined();

      const bare = (await gateway.call(orders(), 'find', { status: null })).body as Echo;
      expect(bare.url).toBe('/api/orders');
    });

    it('fills {param} placeholders URL-encoded and removes them from the body and query', async () => {
      const put = (await gateway.call(orders(), 'updateLine', { orderId: 'A/7 x', line: 2, qty: 5 })).body as Echo;
      expect(put.method).toBe('PUT');
      expect(put.url).toBe('/api/orders/A%2F7%20x/lines/2');
      expect(put.body).toEqual({ qty: 5 });

      const del = (await gateway.call(orders(), 'removeLine', { orderId: 'B', line: 1, reason: 'dup' })).body as Echo;
      expect(del.method).toBe('DELETE');
      expect(del.url).toBe('/api/orders/B/lines/1?reason=dup');
    });

    it('joins base and method paths whatever their slashes, keeping a query on the base URL', async () => {
      const variants = [`${server.baseUrl}/api`, `${server.baseUrl}/api/`, `${server.baseUrl}/api//`];
      for (const base of variants) {
        const sys = system(base, { a: { verb: 'GET', path: '/orders/' }, b: { verb: 'GET', path: 'orders' } });
        expect(((await gateway.call(sys, 'a', {})).body as Echo).url).toBe('/api/orders/');
        expect(((await gateway.call(sys, 'b', {})).body as Echo).url).toBe('/api/orders');
      }
      const root = system(server.baseUrl, {
        r: { verb: 'GET', path: '/status' },
        q: { verb: 'GET', path: 'search?kind=a', parameters: [{ name: 'n', type: 'integer', required: true }] },
      });
      expect(((await gateway.call(root, 'r', {})).body as Echo).url).toBe('/status');
      expect(((await gateway.call(root, 'q', { n: 1 })).body as Echo).url).toBe('/search?kind=a&n=1');
      const versioned = system(`${server.baseUrl}/v2?tenant=t1`, {
        f: { verb: 'GET', path: 'items', parameters: [{ name: 'n', type: 'integer', required: true }] },
      });
      expect(((await gateway.call(versioned, 'f', { n: 3 })).body as Echo).url).toBe('/v2/items?tenant=t1&n=3');
    });

    it('sends the API key in its configured header on every request', async () => {
      const sys = system(
        server.baseUrl,
        { ping: { verb: 'GET', path: 'ping' } },
        { auth: { type: 'apiKey', header: 'X-Api-Key', key: 'k-123' } },
      );
      for (let i = 0; i < 2; i++) {
        const echoed = (await gateway.call(sys, 'ping', {})).body as Echo;
        expect(echoed.headers['x-api-key']).toBe('k-123');
        expect(echoed.headers.authorization).toBeUndefined();
      }
    });

    it('sends Basic credentials', async () => {
      const sys = system(
        server.baseUrl,
        { ping: { verb: 'POST', path: 'ping' } },
        { auth: { type: 'basic', username: 'operator', password: 'pä:ss' } },
      );
      const echoed = (await gateway.call(sys, 'ping', {})).body as Echo;
      const expected = `Basic ${Buffer.from('operator:pä:ss', 'utf8').toString('base64')}`;
      expect(echoed.headers.authorization).toBe(expected);
      expect(echoed.body).toEqual({});
    });

    it('sends Idempotency-Key only when one is given, the same on every attempt', async () => {
      const key = '01936f0e-8a3c-7def-8123-456789abcdef';
      const first = (await gateway.call(orders(), 'create', { item: 'a', qty: 1 }, { idempotencyKey: key })).body as Echo;
      const second = (await gateway.call(orders(), 'create', { item: 'a', qty: 1 }, { idempotencyKey: key })).body as Echo;
      expect(first.headers['idempotency-key']).toBe(key);
      expect(second.headers['idempotency-key']).toBe(key);
      const none = (await gateway.call(orders(), 'create', { item: 'a', qty: 1 })).body as Echo;
      expect(none.headers['idempotency-key']).toBeUndefined();
    });

    it('returns text for non-JSON bodies and undefined for empty ones', async () => {
      server.setHandler((req, res) => {
        if (req.url.endsWith('/text')) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('123');
        } else if (req.url.endsWith('/bad-json')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{not json');
        } else if (req.url.endsWith('/problem')) {
          res.writeHead(200, { 'content-type': 'application/problem+json; charset=utf-8' });
          res.end('{"title":"ok"}');
        } else {
          res.writeHead(204);
          res.end();
        }
      });
      const sys = system(server.baseUrl, {
        text: { verb: 'GET', path: 'text' },
        badJson: { verb: 'GET', path: 'bad-json' },
        problem: { verb: 'GET', path: 'problem' },
        empty: { verb: 'GET', path: 'empty' },
      });
      expect(await gateway.call(sys, 'text', {})).toEqual({ status: 200, body: '123' });
      expect(await gateway.call(sys, 'badJson', {})).toEqual({ status: 200, body: '{not json' });
      expect(await gateway.call(sys, 'problem', {})).toEqual({ status: 200, body: { title: 'ok' } });
      expect(await gateway.call(sys, 'empty', {})).toEqual({ status: 204, body: undefined });
    });

    it('reuses keep-alive connections across calls', async () => {
      const own = await startLoopback();
      const gw = make({ connectionsPerOrigin: 2 });
      try {
        const sys = system(own.baseUrl, { ping: { verb: 'GET', path: 'ping' } });
        for (let i = 0; i < 20; i++) await gw.call(sys, 'ping', {});
        // undici may open a second socket while the first is still finishing its
        // previous response; without reuse this would be 20.
        expect(own.connections()).toBeLessThanOrEqual(2);
        await Promise.all(Array.from({ length: 20 }, () => gw.call(sys, 'ping', {})));
        expect(own.connections()).toBeLessThanOrEqual(2);
        expect(own.received).toHaveLength(40);
      } finally {
        await gw.close();
        await own.close();
      }
    });
  });

  describe('HttpGateway parameter validation', () => {
    it('rejects an unknown method as permanent UNKNOWN_METHOD without sending anything', async () => {
      for (const name of ['nope', 'toString', '__proto__']) {
        const err = await failure(gateway.call(orders(), name, {}));
        expect(err.code).toBe('UNKNOWN_METHOD');
        expect(err.classification).toBe('permanent');
        expect(err.message).toContain(name);
      }
      expect(server.received).toHaveLength(0);
    });

    const cases: [string, string, Record<string, unknown>, string, string][] = [
      ['missing required', 'create', { qty: 1 }, 'item', 'is required'],
      ['null required', 'create', { item: null, qty: 1 }, 'item', 'is required'],
      ['string for integer', 'create', { item: 'a', qty: '1' }, 'qty', 'must be an integer'],
      ['fraction for integer', 'create', { item: 'a', qty: 1.5 }, 'qty', 'must be an integer'],
      ['NaN for number', 'create', { item: 'a', qty: 1, price: Number.NaN }, 'price', 'must be a number'],
      ['number for string', 'create', { item: 7, qty: 1 }, 'item', 'must be a string'],
      ['string for boolean', 'create', { item: 'a', qty: 1, urgent: 'yes' }, 'urgent', 'must be a boolean'],
      ['list for object', 'create', { item: 'a', qty: 1, meta: [] }, 'meta', 'must be an object'],
      ['object for list', 'create', { item: 'a', qty: 1, tags: {} }, 'tags', 'must be a list'],
      ['unknown param', 'create', { item: 'a', qty: 1, colour: 'red' }, 'colour', 'is not a parameter'],
      ['empty path value', 'updateLine', { orderId: '', line: 1, qty: 1 }, 'orderId', 'must not be empty'],
    ];
    it.each(cases)('%s → permanent INVALID_PARAMETERS naming the parameter', async (_, method, params, name, reason) => {
      const err = await failure(gateway.call(orders(), method, params));
      expect(err.code).toBe('INVALID_PARAMETERS');
      expect(err.classification).toBe('permanent');
      expect(err.message).toContain(`"${name}"`);
      expect(err.message).toContain(reason);
      expect(err.details).toMatchObject({ system: 'ERP', method, parameter: name });
      expect(server.received).toHaveLength(0);
    });

    it('does not put parameter values in the message', async () => {
      const err = await failure(gateway.call(orders(), 'create', { item: 'a', qty: 'secret-value-42' }));
      expect(err.message).not.toContain('secret-value-42');
    });

    it('issue 8: a secret of the definition (a base URL token) echoed across the 200-character cut leaves no part of it in the message', async () => {
      const token = 'Zq7TokenSecretValue0123456789';
      const sys = system(`${server.baseUrl}/api?token=${token}`, { get: { verb: 'GET', path: '/items' } }, { secrets: [token] });
      // The echoed URL puts the token's first characters just before the cut.
      server.setHandler((req, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`${'x'.repeat(200 - '/api/items?token='.length - 8)}${req.url}`);
      });
      const err = await failure(gateway.call(sys, 'get', {}));
      expect(err.message).toContain('HTTP 400');
      expect(err.message).not.toContain(token.slice(0, 6));
    });

    it('rejects values that cannot be encoded as JSON', async () => {
      const err = await failure(gateway.call(orders(), 'create', { item: 'a', qty: 1, meta: { big: 1n } }));
      expect(err.code).toBe('INVALID_PARAMETERS');
      expect(err.classification).toBe('permanent');
    });
  });
});
