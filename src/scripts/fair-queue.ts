// Fair admission of runs waiting for an isolate (issue 10 point 6).
//
// A run names a fair key (a site passes the instance its root run belongs to;
// central may pass whatever it wants to be fair between). Waiting runs are
// admitted round-robin across keys: one from each waiting key in turn, so a
// key with a thousand runs queued makes another key's run wait for at most
// one admission per other waiting key, not for the whole flood.
//
// Within a key, nested runs (started by a run that is already executing)
// go before new root runs: a parent holds its isolate while it awaits its
// child, so admitting new roots first could fill the pool with parents that
// all wait for children that cannot start.

interface KeyQueue<T> {
  readonly nested: T[];
  readonly roots: T[];
}

export class FairQueue<T> {
  /** Keys with waiting items, in round-robin order: the next to serve first. */
  readonly #keys = new Map<string, KeyQueue<T>>();
  #length = 0;

  /** Items waiting, over all keys. */
  get length(): number {
    return this.#length;
  }

  push(key: string, nested: boolean, item: T): void {
    let queue = this.#keys.get(key);
    if (queue === undefined) {
      queue = { nested: [], roots: [] };
      this.#keys.set(key, queue);
    }
    (nested ? queue.nested : queue.roots).push(item);
    this.#length++;
  }

  /** The next item to admit: the head of the next key in turn (its nested items first), or undefined. */
  shift(): T | undefined {
    const next = this.#keys.entries().next();
    if (next.done === true) return undefined;
    const [key, queue] = next.value;
    const item = queue.nested.length > 0 ? queue.nested.shift()! : queue.roots.shift()!;
    this.#length--;
    // The key goes to the back of the round if it still waits, or leaves it.
    this.#keys.delete(key);
    if (queue.nested.length + queue.roots.length > 0) this.#keys.set(key, queue);
    return item;
  }

  /** Takes `item` out of the queue of `key` (a waiting run that was cancelled); false when it is not there. */
  remove(key: string, item: T): boolean {
    const queue = this.#keys.get(key);
    if (queue === undefined) return false;
    for (const list of [queue.nested, queue.roots]) {
      const at = list.indexOf(item);
      if (at < 0) continue;
      list.splice(at, 1);
      this.#length--;
      if (queue.nested.length + queue.roots.length === 0) this.#keys.delete(key);
      return true;
    }
    return false;
  }

  /** Takes every waiting item out (in admission order). */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }
}
