// Values in and out of the drivers. Results cross into the script sandbox
// (DESIGN §7), which takes plain JSON only; parameters come from scripts and
// from the store-and-forward buffer, so they are JSON too, plus a few
// conveniences (Date, Buffer, bigint, undefined).
import type { DatabaseDriver } from '../../config/index.js';

/** A 64-bit integer as a number when exact, else as its decimal string. */
export function fromBigInt(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Parses an integer column sent as text (postgres int8) the same way. */
export function fromIntegerText(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * Converts a driver value to plain JSON: Date → ISO string, Buffer /
 * Uint8Array → base64, bigint → number when safe else string, NaN/±Infinity →
 * string, nested arrays and objects (json columns, intervals) recursively.
 */
export function toJsonValue(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return fromBigInt(v);
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v)) out[k] = toJsonValue(item);
  return out;
}

export function toJsonRow(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = toJsonValue(v);
  return out;
}

/**
 * Prepares one parameter for binding. pg already serialises Date, Buffer,
 * arrays (as postgres arrays) and objects (as JSON); mysql2's binary protocol
 * and better-sqlite3 need help with booleans, objects and, for sqlite, dates.
 */
export function toBindValue(v: unknown, driver: DatabaseDriver): unknown {
  if (v === undefined || v === null) return null;
  if (driver === 'postgres') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return driver === 'mysql' ? v.toString() : v;
  if (typeof v !== 'object') return v;
  if (v instanceof Date) return driver === 'sqlite' ? v.toISOString() : v;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return JSON.stringify(v, (_k, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

export function toBindValues(values: readonly unknown[], driver: DatabaseDriver): unknown[] {
  return values.map((v) => toBindValue(v, driver));
}
