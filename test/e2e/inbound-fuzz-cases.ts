// Malformed requests for the Inbound API fuzz test (test/e2e/inbound-fuzz.test.ts),
// drawn from a seeded PRNG so a failing run can be replayed with its seed.
// Every case is wrong in at least one way the endpoint must refuse with a
// 4xx: none of them is a valid, approved call.

/** mulberry32: small, fast and reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sent with fetch (undici). */
export interface FetchCase {
  readonly via: 'fetch';
  readonly kind: string;
  readonly verb: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** Written byte for byte on a socket: what fetch refuses to send. `http: false` when the bytes are not an HTTP request. */
export interface RawCase {
  readonly via: 'raw';
  readonly kind: string;
  readonly bytes: Buffer;
  readonly http: boolean;
}

export type FuzzCase = FetchCase | RawCase;

export interface FuzzContext {
  /** A key approved for both methods. */
  readonly key: string;
  /** A valid key approved for neither. */
  readonly unapproved: string;
  /** The body limit central was started with. */
  readonly bodyLimit: number;
}

const JSON_TYPE = 'application/json';

export function fuzzCases(seed: number, count: number, ctx: FuzzContext): FuzzCase[] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const ascii = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(0x20 + int(95))).join('');
  const valid = (): Record<string, unknown> => ({ a: int(1000), b: int(1000) });
  const post = (kind: string, body: string | Uint8Array | undefined, headers: Record<string, string> = {}, path = '/api/Add'): FetchCase => ({
    via: 'fetch',
    kind,
    verb: 'POST',
    path,
    headers: { 'x-api-key': ctx.key, 'content-type': JSON_TYPE, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const raw = (kind: string, head: string[], body: Buffer | string = '', http = true): RawCase => {
    const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const lines = [...head, `content-length: ${b.length}`, 'connection: close'];
    return { via: 'raw', kind, http, bytes: Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), b]) };
  };
  const wrongValues: readonly unknown[] = ['1', '', 1.5, -0.25, true, false, null, [], [1], {}, { a: 1 }, 1e300, 2 ** 53, -(2 ** 60), 'x'.repeat(1000)];

  const generators: readonly (() => FuzzCase)[] = [
    // Invalid JSON: a valid body cut short, and texts no parser accepts.
    () => {
      const text = JSON.stringify(valid());
      return post('invalid-json', text.slice(0, 1 + int(text.length - 1)));
    },
    () => post('invalid-json', pick(['{', '}', '{"a":1,}', "{'a':1,'b':2}", '{"a":NaN,"b":1}', '{"a":1 "b":2}', 'nul', '[1,2', '"unterminated', '{"a":0x10,"b":1}', '{"a":1,"b":2}}', ascii(1 + int(40)) + '{'])),
    // Wrong types, missing and unknown fields, bodies that are not objects.
    () => post('wrong-type', JSON.stringify({ ...valid(), [pick(['a', 'b'])]: pick(wrongValues) })),
    () => post('missing-field', JSON.stringify(pick([{ a: 1 }, { b: 2 }, {}]))),
    () => post('unknown-field', JSON.stringify({ ...valid(), [pick(['c', '__proto__', 'constructor', 'A', ascii(1 + int(20)), '\u0000', 'x'.repeat(5000)])]: int(9) })),
    () => post('not-an-object', pick(['1', '"text"', 'true', 'null', '[]', '[{"a":1,"b":2}]', '-0', '1e999'])),
    () => post('echo-wrong', JSON.stringify(pick([{ text: 1 }, { text: 'x', tags: 'x' }, { text: 'x', tags: [1] }, { text: 'x', meta: { n: '1' } }, { text: 'x', meta: { n: 1, extra: 1 } }, { text: 'x', meta: [] }])), {}, '/api/Echo'),
    // Over the body limit (the limit itself is fine), and a huge string under it.
    () => post('over-limit', JSON.stringify({ ...valid(), pad: 'x'.repeat(ctx.bodyLimit + int(ctx.bodyLimit)) })),
    () => post('huge-string', JSON.stringify({ a: 'y'.repeat(ctx.bodyLimit - 100 - int(1000)), b: 1 })),
    // Deep nesting, up to 10,000 levels (within the body limit).
    () => {
      const depth = pick([65, 100, 1000, 10_000]);
      const open = pick(['[', '{"a":']);
      const close = open === '[' ? ']' : '}';
      return post('deep-nesting', open.repeat(depth) + '1' + close.repeat(depth));
    },
    () => post('deep-nesting', JSON.stringify({ a: 1, b: JSON.parse('['.repeat(60) + ']'.repeat(60)) as unknown })),
    // Unicode edge cases: escapes JSON accepts (in the wrong place) and bytes UTF-8 refuses.
    () => post('unicode-escape', `{"a":"${pick(['\\ud800', '\\udfff', '\\u0000', '\\ufeff', '\\uffff', '\\ud83d\\ude00'])}","b":1}`),
    () => post('unicode-key', `{"a":1,"b":2,"${pick(['\\ud800', '\\u0000', '\\u202e', '\\u00e9'])}":3}`),
    () => {
      const bad = pick([[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe], [0x80]]);
      return post('invalid-utf8', new Uint8Array([...Buffer.from('{"a":"'), ...bad, ...Buffer.from('","b":1}')]));
    },
    () => post('raw-nul', new Uint8Array([...Buffer.from('{"a":"'), 0, ...Buffer.from('","b":1}')])),
    () => post('bom', `\ufeff${JSON.stringify({ a: 'bom', b: 1 })}`),
    // Wrong or missing media types (with a valid body: the type alone is wrong).
    () => post('media-type', JSON.stringify(valid()), { 'content-type': pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json; charset=latin1', 'application/json-patch+json', '*/*', 'json']) }),
    () => ({ via: 'fetch', kind: 'media-type', verb: 'POST', path: '/api/Add', headers: { 'x-api-key': ctx.key }, body: new Uint8Array(Buffer.from(JSON.stringify(valid()))) }),
    // Keys: missing, empty, unknown, one character off, twice, huge, valid but not approved.
    () => post('bad-key', JSON.stringify(valid()), { 'x-api-key': pick(['', 'nope', `slk_api_${ascii(43).replace(/[^A-Za-z0-9]/g, 'a')}`, ctx.key.slice(0, -1) + (ctx.key.endsWith('A') ? 'B' : 'A'), ctx.key.toUpperCase(), `${ctx.key}, ${ctx.key}`, 'k'.repeat(8000)]) }),
    () => ({ via: 'fetch', kind: 'missing-key', verb: 'POST', path: '/api/Add', headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(valid()) }),
    () => post('unapproved-key', JSON.stringify(valid()), { 'x-api-key': ctx.unapproved }, pick(['/api/Add', '/api/Echo'])),
    // Idempotency-Key values the endpoint refuses (the call itself is valid).
    () => post('idempotency-key', JSON.stringify(valid()), { 'idempotency-key': pick(['', ' ', 'has space', 'x'.repeat(256), 'caf\u00e9', 'a\tb', 'k1, k2']) }),
    // Unknown methods and other verbs.
    () => post('unknown-method', JSON.stringify(valid()), {}, `/api/${pick(['add', 'ADD', 'Nope', 'Add2', 'openapi.json', ascii(1 + int(30)).replace(/[^A-Za-z0-9]/g, 'Z')])}`),
    () => ({ via: 'fetch', kind: 'other-verb', verb: pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']), path: pick(['/api/Add', '/api', '/api/', '/api/Nope']), headers: { 'x-api-key': ctx.key } }),
    // Path tricks, written raw so nothing normalises them.
    () => raw('path-trick', [`POST ${pick(['/api/../admin/api/sites', '/api/%2e%2e/admin/api/sites', '/api/%2e%2e%2fAdd', '/api/Add%00', '/api/Add%', '/api/Add%zz', '/api//Add', '/api/Add/', '/api/Add/..', '/api/./Add/x', '/API/Add', '/api%2fAdd', '/api/%41dd/x', '/api/Add?a=1&a=2'])} HTTP/1.1`, 'host: x', `x-api-key: ${pick([ctx.key, 'bad'])}`, `content-type: ${JSON_TYPE}`], '{"a":'),
    () => post('long-name', JSON.stringify(valid()), {}, `/api/${'M'.repeat(pick([101, 1000, 8000, 20_000, 70_000]))}`),
    // Header injection: CR, LF or NUL inside a header value (fetch refuses to send these).
    () => {
      const value = pick([`${ctx.key}\rX-Injected: 1`, `bad\nx-api-key: ${ctx.key}`, `bad\r\nx-api-key: ${ctx.key}`, `${ctx.key}\u0000`, `${ctx.key}\r`]);
      return raw('header-injection', ['POST /api/Add HTTP/1.1', 'host: x', `x-api-key: ${value}`, `content-type: ${JSON_TYPE}`], JSON.stringify(valid()));
    },
    () => raw('header-injection', ['POST /api/Add HTTP/1.1', 'host: x', `idempotency-key: ${pick(['a\rb', 'a\u0000b', 'a\u007fb'])}`, `x-api-key: ${ctx.key}`, `content-type: ${JSON_TYPE}`], JSON.stringify(valid())),
    // Duplicated headers on the wire.
    () => raw('duplicate-header', ['POST /api/Add HTTP/1.1', 'host: x', `x-api-key: ${ctx.key}`, `x-api-key: ${pick([ctx.key, 'other'])}`, `content-type: ${JSON_TYPE}`], JSON.stringify(valid())),
    () => raw('duplicate-header', ['POST /api/Add HTTP/1.1', 'host: x', `x-api-key: ${ctx.key}`, 'idempotency-key: k1', 'idempotency-key: k2', `content-type: ${JSON_TYPE}`], JSON.stringify(valid())),
    // Framing the HTTP parser refuses: both framings, an unknown verb, a bad version.
    () => {
      const body = JSON.stringify(valid());
      const head = pick([
        ['POST /api/Add HTTP/1.1', 'host: x', `x-api-key: ${ctx.key}`, `content-type: ${JSON_TYPE}`, 'transfer-encoding: chunked'],
        [`BREW /api/Add HTTP/1.1`, 'host: x', `x-api-key: ${ctx.key}`],
        [`POST /api/Add HTTP/9.9`, 'host: x', `x-api-key: ${ctx.key}`],
        [`POST /api/Add`, 'host: x'],
        ['POST /api/Add HTTP/1.1', 'host: x', 'bad header line', `x-api-key: ${ctx.key}`],
      ]);
      return raw('framing', head, body);
    },
    // Not HTTP at all: random bytes ending like a request head.
    () => ({ via: 'raw', kind: 'not-http', http: false, bytes: Buffer.concat([Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))), Buffer.from('\r\n\r\n')]) }),
  ];
  return Array.from({ length: count }, () => pick(generators)());
}
