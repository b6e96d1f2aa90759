import { randomFillSync } from 'node:crypto';

/** A TrackedOperationId: a UUIDv7 string in canonical lower-case form (DESIGN §4). */
export type TrackedOperationId = string & { readonly __brand: 'TrackedOperationId' };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let lastMs = 0;
let seq = 0;

// Randomness is drawn in bulk: one randomFillSync per 256 ids instead of a
// system call per id (it was ~9% of the CPU of a store transition).
const POOL_SIZE = 16 * 256;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function random16(): Buffer {
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return bytes;
}

/**
 * UUIDv7 (RFC 9562): 48-bit unix-ms timestamp, then a 12-bit counter in
 * rand_a so ids made in the same millisecond still sort by creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else {
    seq++;
    if (seq > 0xfff) {
      // Counter exhausted within one ms: borrow the next millisecond.
      lastMs++;
      seq = 0;
    }
  }
  const bytes = random16();
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((seq >>> 8) & 0x0f);
  bytes[7] = seq & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newTrackedOperationId(): TrackedOperationId {
  return uuidv7() as TrackedOperationId;
}

export function isTrackedOperationId(value: unknown): value is TrackedOperationId {
  return typeof value === 'string' && UUID_RE.test(value);
}

export function parseTrackedOperationId(value: unknown): TrackedOperationId {
  if (!isTrackedOperationId(value)) {
    throw new TypeError(`not a TrackedOperationId: ${String(value)}`);
  }
  return value;
}
