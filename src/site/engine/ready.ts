import type { BufferedOperation, DueCursor, DueKey } from '../store/buffer.js';

/** What the scan needs from the buffer: due rows in index order after a keyset cursor, then whole rows. */
export interface DueSource {
  dueKeys(nowMs: number, cursor: DueCursor | undefined, limit: number): DueKey[];
  get(id: string): BufferedOperation | undefined;
}

export interface ReadyOptions {
  readonly pageSize: number;
  /** Most rows read from the index in one fill; the next fill goes on from there. */
  readonly maxPagesPerFill: number;
  /** Most claimed rows waiting for a slot, in all. */
  readonly capacity: number;
  /** Most claimed rows waiting for a slot of one target. */
  readonly perKey: (key: string) => number;
  readonly keyOf: (op: BufferedOperation) => string;
}

export type FillResult = 'caught-up' | 'full' | 'more';

/**
 * The dispatcher's claimed-but-not-started rows, one FIFO per target, filled
 * by a keyset scan of the due index that remembers where it stopped.
 *
 * Rows before the cursor were claimed when the scan passed them (either here
 * or by an attempt already running), so each fill reads only rows it has not
 * seen; it never re-reads the in-flight head of the index or loads the
 * backlog (DESIGN §12). Anything that can make a row behind the cursor due
 * again (an operator Retry, a recording that failed, a clock step) is covered
 * by `rewind()`, which the engine also calls every poll interval.
 */
export class ReadyQueues {
  private readonly queues = new Map<string, BufferedOperation[]>();
  private cursor: DueCursor | undefined;
  private rewound = true;
  private count = 0;

  constructor(
    private readonly source: DueSource,
    private readonly claims: Set<string>,
    private readonly options: ReadyOptions,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The next fill starts again at the head of the due index. */
  rewind(): void {
    this.rewound = true;
  }

  /**
   * Claims due rows in index order until every target's queue is full, the
   * capacity is reached or no more rows are due. A row whose target queue is
   * full stops the scan there, so it is the first one read next time.
   */
  fill(nowMs: number): FillResult {
    if (this.rewound) {
      this.cursor = undefined;
      this.rewound = false;
    }
    const { pageSize, maxPagesPerFill, capacity, perKey, keyOf } = this.options;
    for (let pages = 0; pages < maxPagesPerFill; pages++) {
      if (this.count >= capacity) return 'full';
      const page = this.source.dueKeys(nowMs, this.cursor, pageSize);
      for (const [atMs, id] of page) {
        const op = this.claims.has(id) ? undefined : this.source.get(id);
        if (op !== undefined) {
          const key = keyOf(op);
          let queue = this.queues.get(key);
          if (queue === undefined) {
            queue = [];
            this.queues.set(key, queue);
          }
          if (queue.length >= perKey(key)) return 'full';
          this.claims.add(id);
          queue.push(op);
          this.count++;
        }
        this.cursor = { atMs, id };
      }
      if (page.length < pageSize) return 'caught-up';
    }
    return 'more';
  }

  /**
   * Hands ready rows to `start` while `take(key)` grants a slot for their
   * target; targets are served in the order they first became ready.
   */
  drain(take: (key: string) => boolean, start: (op: BufferedOperation, key: string) => void): void {
    for (const [key, queue] of this.queues) {
      let taken = 0;
      while (taken < queue.length && take(key)) start(queue[taken++]!, key);
      if (taken === queue.length) this.queues.delete(key);
      else if (taken > 0) queue.splice(0, taken);
      this.count -= taken;
    }
  }

  /** Drops every waiting row and its claim (on stop). */
  clear(): void {
    for (const queue of this.queues.values()) for (const op of queue) this.claims.delete(op.id);
    this.queues.clear();
    this.count = 0;
  }
}
