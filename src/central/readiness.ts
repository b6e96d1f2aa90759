// Central's /ready: ready only while its database answers and its site link
// accepts connections, so a load balancer or orchestrator stops sending work
// to a node that cannot store it. Probes are cached briefly: a scrape storm
// must not become a query storm.
import { connect } from 'node:net';
import { describeError } from '../commons/index.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not, one entry per failed check ("database: …", "site link: …"). */
  readonly reasons: readonly string[];
}

export interface ReadinessChecks {
  /** Resolves when the database answers within `timeoutMs`. */
  readonly database: (timeoutMs: number) => Promise<void>;
  /** The site link's address, or undefined while it is not (or no longer) listening. */
  readonly link: () => { readonly host: string; readonly port: number } | undefined;
}

const PROBE_TIMEOUT_MS = 1_000;
const CACHE_MS = 1_000;

/** Connects to `host:port` and hangs up: proves something accepts connections there. */
function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** A wildcard bind address is probed on loopback. */
function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** Returns a function answering the node's readiness, computed at most once per CACHE_MS. */
export function centralReadiness(checks: ReadinessChecks): () => Promise<Readiness> {
  let cached: { at: number; answer: Promise<Readiness> } | undefined;
  const compute = async (): Promise<Readiness> => {
    const link = checks.link();
    const [db, grpc] = await Promise.allSettled([
      checks.database(PROBE_TIMEOUT_MS),
      link === undefined ? Promise.reject(new Error('not listening')) : probeTcp(probeHost(link.host), link.port, PROBE_TIMEOUT_MS),
    ]);
    const reasons: string[] = [];
    if (db.status === 'rejected') reasons.push(`database: ${describeError(db.reason)}`);
    if (grpc.status === 'rejected') reasons.push(`site link: ${describeError(grpc.reason)}`);
    return { ready: reasons.length === 0, reasons };
  };
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= CACHE_MS) cached = { at: now, answer: compute() };
    return cached.answer;
  };
}
