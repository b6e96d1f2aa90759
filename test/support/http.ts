// Real loopback HTTP servers for delivery tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Behaviour = number | 'reset' | ((req: RecordedRequest, res: ServerResponse) => void);

/**
 * A loopback HTTP server that answers each request with the next scripted
 * behaviour (a status, a connection reset, or a custom responder); once the
 * script is used up it answers `fallback`. Every request is recorded.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  readonly script: Behaviour[] = [];
  fallback: Behaviour = 200;
  private server: Server;
  private waiters: { count: number; resolve: () => void }[] = [];
  active = 0;
  maxActive = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() }, res));
    });
    this.server.keepAliveTimeout = 60_000;
  }

  private handle(rec: RecordedRequest, res: ServerResponse): void {
    this.requests.push(rec);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.on('close', () => this.active--);
    this.waiters = this.waiters.filter((w) => {
      if (this.requests.length >= w.count) w.resolve();
      return this.requests.length < w.count;
    });
    const b = this.script.length > 0 ? this.script.shift()! : this.fallback;
    if (b === 'reset') {
      res.socket?.destroy();
    } else if (typeof b === 'number') {
      res.writeHead(b, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: b }));
    } else {
      b(rec, res);
    }
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `count` requests in all have arrived. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
