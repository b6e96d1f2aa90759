// Names that come from scripts, API paths or peers are looked up as a
// record's OWN keys: `toString`, `constructor` or `__proto__` must be unknown
// names, not Object.prototype's members (issue 8).

/** The value stored under `key` itself, or undefined; never an inherited member. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
