// Turns validation failures into `{ path, message }` issues with dotted paths
// (`externalSystems.ERP.methods.post.path: required`, STYLE §6). Messages are
// written here from the issue's structure, never from the input value, so a
// resolved secret cannot leak into an error (DESIGN §8).

import type { z } from 'zod';

export interface Issue {
  readonly path: string;
  readonly message: string;
  /** Set where a caller acts on the kind of problem (see ISSUE_ENV_UNSET). */
  readonly code?: string;
}

/** An `${NAME}` reference to a variable the environment does not set. */
export const ISSUE_ENV_UNSET = 'ENV_UNSET';

/** `['instances', 'Pump1', 'triggers', 0]` → `instances.Pump1.triggers[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'list';
  if (typeof input === 'object') return 'mapping';
  return typeof input;
}

function expectedName(expected: string): string {
  if (expected === 'object') return 'mapping';
  if (expected === 'array') return 'list';
  if (expected === 'int') return 'integer';
  return expected;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join(', ');
}

/** Per-parse zod error map: a schema's own `error` option still wins. */
export function issueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${expectedName(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'invalid_value':
      return `must be one of: ${quoteList(issue.values)}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && Array.isArray(issue.options)) {
        return `must be one of: ${quoteList(issue.options as unknown[])}`;
      }
      return 'does not match any allowed form';
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_key':
      return 'invalid name: use letters, digits, _ and -, starting with a letter';
    case 'invalid_format':
      return `invalid ${issue.format}`;
    default:
      return 'invalid value';
  }
}

/** Flattens zod issues; an unknown key becomes its own issue at its own path. */
export function fromZod(error: z.ZodError): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}
