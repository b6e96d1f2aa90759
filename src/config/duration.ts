// Durations in the project file: `250ms`, `5s`, `2m`, `1h`, or a plain number
// of milliseconds (DESIGN §8). A digit-only string also counts as
// milliseconds so that a `${ENV_VAR}` substitution, which always yields a
// string, can supply a duration.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/**
 * Returns the duration in whole milliseconds, or undefined when `value` is not
 * a duration. Negative, non-finite and fractional-millisecond results are
 * rejected rather than rounded silently.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = PATTERN.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

