// A real HTTP server on 127.0.0.1 (STYLE §3): records what it received and
// answers through a per-test handler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Handler = (req: Received, res: ServerResponse, raw: IncomingMessage) => void;

export interface Loopback {
  readonly baseUrl: string;
  readonly port: number;
  readonly received: Received[];
  /** Number of TCP connections accepted so far. */
  connections(): number;
  /** Resolves with the next request the server receives (its body fully read). */
  nextRequest(): Promise<Received>;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Echoes the request as JSON: { method, url, headers, body } with body parsed when JSON. */
export const echo: Handler = (req, res) => {
  let body: unknown = req.body;
  try {
    body = req.body.length > 0 ? JSON.parse(req.body) : undefined;
  } catch {
    // not JSON: echo the text
  }
  json(res, 200, { method: req.method, url: req.url, headers: req.headers, body });
};

export async function startLoopback(handler: Handler = echo): Promise<Loopback> {
  let current = handler;
  let connections = 0;
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server: Server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const req: Received = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(req);
      waiters.shift()?.(req);
      current(req, res, raw);
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    received,
    connections: () => connections,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    setHandler: (h) => {
      current = h;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
