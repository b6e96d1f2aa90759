// `${ENV_VAR}` substitution over the parsed YAML tree (DESIGN §8: secrets are
// referenced, never stored in the file). It runs before validation so every
// string field may use it; `${NAME:-default}` gives a default for an unset
// variable, and `$${NAME}` escapes to a literal `${NAME}`.

import { type Issue, ISSUE_ENV_UNSET, formatPath } from './issues.js';

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Substituted {
  readonly value: unknown;
  readonly issues: Issue[];
  /** Dotted paths whose value came from the environment: never echo them. */
  readonly fromEnv: ReadonlySet<string>;
  /** The values substituted at each such path: secrets to redact (secrets.ts). */
  readonly secretsAt: ReadonlyMap<string, readonly string[]>;
}

export function substituteEnv(tree: unknown, env: NodeJS.ProcessEnv): Substituted {
  const issues: Issue[] = [];
  const fromEnv = new Set<string>();
  const secretsAt = new Map<string, string[]>();

  const visit = (node: unknown, path: readonly (string | number)[]): unknown => {
    if (typeof node === 'string') return substitute(node, path);
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      // fromEntries defines own properties: a `__proto__` key stays a key (and is reported), never the prototype.
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value, [...path, key])]));
    }
    return node;
  };

  const substitute = (text: string, path: readonly (string | number)[]): string => {
    const used: string[] = [];
    const result = text.replace(REFERENCE, (whole, escape: string, inner: string) => {
      if (escape) return whole.slice(1);
      const where = formatPath(path);
      const parsed = NAME.exec(inner);
      if (parsed === null) {
        issues.push({ path: where, message: `invalid environment variable reference \${${inner}}` });
        return whole;
      }
      const [, name, fallback] = parsed as unknown as [string, string, string | undefined];
      const value = env[name];
      if (value === undefined && fallback !== undefined) return fallback;
      if (value === undefined) {
        issues.push({ path: where, message: `environment variable ${name} is not set`, code: ISSUE_ENV_UNSET });
        return whole;
      }
      used.push(value);
      return value;
    });
    if (used.length > 0) {
      fromEnv.add(formatPath(path));
      secretsAt.set(formatPath(path), used);
    }
    return result;
  };

  return { value: visit(tree, []), issues, fromEnv, secretsAt };
}
