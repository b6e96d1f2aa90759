// How central holds its PostgreSQL connections, so that the server going away
// at any moment (a restart, a failover, pg_terminate_backend) costs the work in
// flight and never the process. pg emits `error` on a client whose socket
// dies; the pool listens only while a client is idle, so a client checked out
// without a listener of ours ends the process with "Unhandled 'error' event".
import pg from 'pg';
import { ScadaLinkError, describeError } from '../../commons/index.js';

/** A new connection that does not come up within this long fails (the server is down or unreachable). */
const CONNECT_TIMEOUT_MS = 10_000;

export function createCentralPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 8, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // An idle connection the server closed reports here; the pool drops it and
  // the next query connects afresh.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A client checked out of the pool for one unit of work, heard for the whole
 * checkout. A client whose connection died is destroyed on release, never
 * handed to the next caller.
 */
export class Checkout {
  readonly client: pg.PoolClient;
  readonly #lost = new AbortController();
  readonly #onError = (err: Error): void => {
    if (!this.#lost.signal.aborted) this.#lost.abort(err);
  };
  #released = false;

  private constructor(client: pg.PoolClient) {
    this.client = client;
    client.on('error', this.#onError);
  }

  static async of(pool: pg.Pool): Promise<Checkout> {
    return new Checkout(await pool.connect());
  }

  /** Aborts (with the driver's error as reason) when the connection dies; session state such as an advisory lock died with it. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Back to the pool; destroyed instead when the connection died or `broken` says its state is unknown. */
  release(broken?: unknown): void {
    if (this.#released) return;
    this.#released = true;
    this.client.off('error', this.#onError);
    const why = this.#lost.signal.aborted ? this.#lost.signal.reason : broken;
    this.client.release(why === undefined ? undefined : why instanceof Error ? why : new Error(String(why)));
  }
}

/** Runs `fn` in one transaction on one checked-out connection: COMMIT if it resolves, ROLLBACK if it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await Checkout.of(pool);
  let broken: unknown;
  try {
    await c.client.query('BEGIN');
    const result = await fn(c.client);
    await c.client.query('COMMIT');
    return result;
  } catch (err) {
    // A ROLLBACK that fails means the connection is gone or unusable: the
    // server discards the transaction with it, and the client is destroyed.
    await c.client.query('ROLLBACK').catch((e: unknown) => (broken = e));
    throw err;
  } finally {
    c.release(broken);
  }
}

/**
 * Whether `err` says the server could not be reached or the connection was
 * lost (so trying again later may succeed), as opposed to an answer of the
 * server to the statement. pg's own losses ("Connection terminated
 * unexpectedly", a connect timeout) carry no code, so they are recognised as
 * "not a DatabaseError and no errno"; a SQLSTATE of class 08 (connection),
 * 57P (shutdown, starting up) or 53 (too many connections) is the server
 * saying the same.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return /^(08|57P|53)/.test(err.code ?? '');
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^E[A-Z]+$/.test(code);
  return err instanceof Error && !(err instanceof ScadaLinkError) && !(err instanceof TypeError) && !(err instanceof RangeError);
}

/** Where the URL points, without its password: for messages. */
export function describeTarget(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

/**
 * Runs `attempt` until it succeeds, retrying while the server cannot be
 * reached, for at most `waitMs` (central and its database often start
 * together; a database that is still starting is waited for, a wrong URL is
 * not). DATABASE_UNREACHABLE once the wait is over.
 */
export async function whileUnreachable<T>(
  target: string,
  waitMs: number,
  attempt: () => Promise<T>,
  onRetry?: (err: unknown) => void,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConnectionLoss(err)) throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ScadaLinkError(
          'DATABASE_UNREACHABLE',
          `PostgreSQL at ${target} cannot be reached (waited ${Math.round(waitMs / 1000)} s): ${describeError(err)}`,
          { cause: err, details: { target } },
        );
      }
      onRetry?.(err);
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    }
  }
}
