import type { SynchronousMode } from '../../src/site/index.js';

type Value = string | number | boolean;

/**
 * Reads `--name value` / `--name=value` flags over a set of defaults; a value
 * takes the type of its default. Unknown flags are an error, so a typo never
 * silently measures the default.
 */
export function flags<T extends Record<string, Value>>(defaults: T, argv = process.argv.slice(2)): T {
  const out: Record<string, Value> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    // --trace-memory and --traceMemory name the same flag.
    const name = arg.slice(2, eq < 0 ? undefined : eq).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown flag --${name} (known: ${Object.keys(defaults).join(', ')})`);
    const def = defaults[name];
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (typeof def === 'boolean') raw = 'true';
    else raw = argv[++i] ?? '';
    if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`--${name} needs a number, got "${raw}"`);
      out[name] = n;
    } else if (typeof def === 'boolean') {
      out[name] = raw !== 'false' && raw !== '0';
    } else {
      out[name] = raw;
    }
  }
  return out as T;
}

export function syncMode(value: string): SynchronousMode {
  const v = value.toUpperCase();
  if (v === 'FULL' || v === 'NORMAL' || v === 'OFF') return v;
  throw new Error(`--sync must be FULL, NORMAL or OFF, got ${value}`);
}

/** A case reports its figures on one line that the runner picks out of stdout. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
