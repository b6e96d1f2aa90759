// A connection checked out of a driver's pool (postgres, mysql), watching for
// it dying while we hold it: a broken connection refuses further statements
// and is destroyed instead of going back to the pool.
import type { BoundStatement } from './params.js';

export abstract class Lease<R> {
  #broken: unknown;
  #released = false;

  /** Listener for the driver's `error` event on the checked-out connection. */
  protected readonly onError = (err: Error): void => {
    this.#broken ??= err;
  };

  /** Why the connection cannot be used any more; undefined while it is healthy. */
  get broken(): unknown {
    return this.#broken;
  }

  async run(stmt: BoundStatement): Promise<R> {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      return await this.send(stmt);
    } catch (err) {
      if (this.leavesUnusable(err)) this.#broken ??= err;
      throw err;
    }
  }

  /** Back to the pool, or destroyed when broken. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.giveBack(this.#broken);
  }

  /** Runs one bound statement on the connection. */
  protected abstract send(stmt: BoundStatement): Promise<R>;

  /** Whether a failed statement leaves the connection in an unknown state (not a plain server error). */
  protected abstract leavesUnusable(err: unknown): boolean;

  /** Stops listening for `error`, then returns the connection to the pool, or destroys it if `broken` is set. */
  protected abstract giveBack(broken: unknown): void;
}
