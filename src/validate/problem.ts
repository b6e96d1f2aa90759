// One problem `scadalink validate` reports, and its one-line form.

export interface Problem {
  /** Relative to the project directory: `scadalink.yaml` or `scripts/...`. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Stable code: CONFIG_INVALID, ENV_UNSET, SCRIPT_COMPILE, UNKNOWN_SYSTEM, UNKNOWN_METHOD, ... */
  readonly code: string;
  readonly message: string;
}

/** `file:line:col: CODE message`. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.code} ${p.message}`;
}
