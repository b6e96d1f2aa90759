// A real loopback HTTP server that fails at random, for the crash test: it
// answers 200, 503, resets the connection, or waits and then answers 200, and
// records every request with the Idempotency-Key it carried and what it got.
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Outcome = 'ok' | 'unavailable' | 'reset' | 'slow-ok';

export interface FlakyRequest {
  readonly seq: number;
  readonly key: string | undefined;
  readonly orderId: string | undefined;
  /** Which site process sent it (set by the test before each start). */
  readonly generation: number;
  readonly arrivedAt: number;
  readonly outcome: Outcome;
  /** The answer went out or the connection closed. */
  settled: boolean;
  settledAt: number | undefined;
  /** A 200 was written out to the connection ('finish' fired). */
  delivered: boolean;
  deliveredAt: number | undefined;
}

export interface FlakyMix {
  readonly ok: number;
  readonly unavailable: number;
  readonly reset: number;
  readonly slowOk: number;
  readonly slowMinMs: number;
  readonly slowMaxMs: number;
}

/** A small seeded PRNG (mulberry32), so a failing run's server behaviour can be replayed. */
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

export class FlakyServer extends EventEmitter {
  readonly requests: FlakyRequest[] = [];
  readonly byKey = new Map<string, FlakyRequest[]>();
  readonly byOrder = new Map<string, FlakyRequest[]>();
  /** Keys that have had a 200 written out at least once. */
  readonly deliveredKeys = new Set<string>();
  generation = 0;
  /** When true every request is answered 200 at once. */
  calm = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly random: () => number,
    private readonly mix: FlakyMix,
  ) {
    super();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString(), res));
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) this.emit('idle');
      });
    });
  }

  private pick(): Outcome {
    if (this.calm) return 'ok';
    const { ok, unavailable, reset, slowOk } = this.mix;
    let r = this.random() * (ok + unavailable + reset + slowOk);
    if ((r -= ok) < 0) return 'ok';
    if ((r -= unavailable) < 0) return 'unavailable';
    if ((r -= reset) < 0) return 'reset';
    return 'slow-ok';
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    let orderId: string | undefined;
    try {
      orderId = (JSON.parse(body) as { orderId?: string }).orderId;
    } catch {
      orderId = undefined;
    }
    const header = req.headers['idempotency-key'];
    const rec: FlakyRequest = {
      seq: this.requests.length,
      key: typeof header === 'string' ? header : undefined,
      orderId,
      generation: this.generation,
      arrivedAt: performance.now(),
      outcome: this.pick(),
      settled: false,
      settledAt: undefined,
      delivered: false,
      deliveredAt: undefined,
    };
    this.requests.push(rec);
    if (rec.key !== undefined) push(this.byKey, rec.key, rec);
    if (orderId !== undefined) push(this.byOrder, orderId, rec);
    res.on('close', () => {
      rec.settled = true;
      rec.settledAt = performance.now();
    });

    const answer200 = (): void => {
      if (res.destroyed) return;
      res.on('finish', () => {
        rec.delivered = true;
        rec.deliveredAt = performance.now();
        if (rec.key !== undefined && !this.deliveredKeys.has(rec.key)) {
          this.deliveredKeys.add(rec.key);
          this.emit('delivered', rec.key);
        }
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: orderId }));
    };
    switch (rec.outcome) {
      case 'ok':
        answer200();
        return;
      case 'unavailable':
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'try later' }));
        return;
      case 'reset':
        res.socket?.resetAndDestroy();
        return;
      case 'slow-ok': {
        const { slowMinMs, slowMaxMs } = this.mix;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          answer200();
        }, slowMinMs + this.random() * (slowMaxMs - slowMinMs));
        this.timers.add(timer);
        return;
      }
    }
  }

  /** Requests received whose answer has not gone out yet (or whose connection is not closed). */
  inFlight(): number {
    let n = 0;
    for (const r of this.requests) if (!r.settled) n++;
    return n;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once no client connection is open (a killed site's sockets have all been read and closed). */
  idle(timeoutMs: number): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('idle', done);
        reject(new Error(`${this.sockets.size} connection(s) to the flaky server still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.once('idle', done);
    });
  }

  /** Resolves once every key has had a 200 written out; rejects with the missing keys after `timeoutMs`. */
  allDelivered(keys: Iterable<string>, timeoutMs: number): Promise<void> {
    const missing = new Set<string>();
    for (const k of keys) if (!this.deliveredKeys.has(k)) missing.add(k);
    if (missing.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDelivered = (key: string): void => {
        missing.delete(key);
        if (missing.size > 0) return;
        clearTimeout(timer);
        this.off('delivered', onDelivered);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('delivered', onDelivered);
        reject(new Error(`${missing.size} operation(s) never got a 200 within ${timeoutMs} ms, e.g. ${[...missing].slice(0, 5).join(', ')}`));
      }, timeoutMs);
      this.on('delivered', onDelivered);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
