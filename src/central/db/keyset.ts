// The keyset-paged lists of the central repositories (SiteCalls, Inbound API
// failures) on both engines: a WHERE clause of the filters that are given,
// and a page read with LIMIT n+1 (one row more tells whether there is a next
// page).

/** SQLite: the conditions of the filters given, with named parameters; `params.limit` is n+1. */
export class NamedFilter {
  readonly #where: string[] = [];
  readonly params: Record<string, unknown>;

  constructor(limit: number) {
    this.params = { limit: limit + 1 };
  }

  /** Adds `sql` (which names `@name`) when `value` is given. */
  add(sql: string, name: string, value: unknown): this {
    if (value === undefined) return this;
    this.#where.push(sql);
    this.params[name] = value;
    return this;
  }

  /** `WHERE …`, or nothing when no filter was given. */
  get where(): string {
    return this.#where.length > 0 ? `WHERE ${this.#where.join(' AND ')}` : '';
  }
}

/** PostgreSQL: the conditions of the filters given, with positional parameters ($1, $2, …). */
export class PositionalFilter {
  readonly #where: string[] = [];
  readonly values: unknown[] = [];

  /** Adds `column op $n` (with `cast` after the placeholder) when `value` is given. */
  add(column: string, op: string, value: unknown, cast = ''): this {
    if (value === undefined) return this;
    this.values.push(value);
    this.#where.push(`${column} ${op} $${this.values.length}${cast}`);
    return this;
  }

  /** `WHERE …`, or nothing when no filter was given. */
  get where(): string {
    return this.#where.length > 0 ? `WHERE ${this.#where.join(' AND ')}` : '';
  }

  /** Adds the page's LIMIT n+1 as the last parameter and returns its placeholder. */
  limit(limit: number): string {
    this.values.push(limit + 1);
    return `$${this.values.length}`;
  }
}

/** The page of rows read with LIMIT n+1: the first `limit`, and the cursor of the last one when there were more. */
export function keysetPage<R, C>(rows: R[], limit: number, cursor: (row: R) => C): { items: R[]; next: C | null } {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, next: more ? cursor(items[items.length - 1]!) : null };
}
