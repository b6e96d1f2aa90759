// Keep-alive HTTP callers for the benches that go through a site's HTTP API:
// one undici pool with a connection per caller, as a client library would.
import { Pool } from 'undici';

export interface HttpClient {
  /** POSTs a JSON body; resolves to the status code (the body is read and dropped); 4xx/5xx throw. */
  post(path: string, body: object): Promise<number>;
  get(path: string): Promise<number>;
  close(): Promise<void>;
}

export function httpClient(url: string, connections: number): HttpClient {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const send = async (method: 'GET' | 'POST', path: string, body?: object): Promise<number> => {
    const res = await pool.request({
      method,
      path,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (res.statusCode >= 400) throw new Error(`${method} ${path}: ${res.statusCode} ${(await res.body.text()).slice(0, 300)}`);
    await res.body.dump();
    return res.statusCode;
  };
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    close: () => pool.close(),
  };
}
