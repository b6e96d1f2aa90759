// What every command prints and whom it records as the operator.
import { userInfo } from 'node:os';
import { TELEMETRY_LIMITS } from '../commons/index.js';
import { nameOption } from './options.js';

/** `--operator`, else the OS user name: the actor an audit row names. */
export function operatorName(given: string | undefined): string {
  if (given !== undefined) return nameOption('--operator', given, TELEMETRY_LIMITS.nameChars);
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

/** Rows as a table, or one JSON object per line with --json. */
export function print(rows: readonly object[], json: boolean, columns: readonly string[]): void {
  if (json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (r: object, c: string): string => {
    const v = (r as Record<string, unknown>)[c];
    return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r, c).length))));
  const line = (vals: string[]): string => vals.map((v, i) => v.slice(0, 60).padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  process.stdout.write(line([...columns]));
  for (const r of rows) process.stdout.write(line(columns.map((c) => cell(r, c))));
}
