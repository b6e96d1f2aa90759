// Type checking of an Inbound API call (issue 11 point 3; rules in
// docs/inbound-api.md): the request body against the method's parameters,
// and the script's return value against its return definition. Every problem
// is listed with a JSON path (`$.batch.items[2].qty`), up to MAX_PROBLEMS.
//
// The walk follows the DECLARED type, never the value: it descends only where
// the definition has an Object or a List, so a hostile body nested a million
// levels deep costs one check at the depth the definition ends, and the
// recursion is bounded by the configuration's MAX_TYPE_DEPTH. Values are never
// echoed into a problem (they may be large or secret); unknown keys are, cut
// to MAX_KEY_SHOWN characters.

import type { InboundMethodConfig, InboundTypeDef, InboundTypeName } from '../../config/index.js';

export interface TypeProblem {
  /** JSON path of the bad value: `$` is the body (or the return value), `$.batch.items[2].qty` a nested one. */
  readonly path: string;
  /** `missing`, `unknown field`, or `expected <Type>, got <what>`. */
  readonly problem: string;
}

/** At most this many problems are listed; one more entry then says the list was cut. */
export const MAX_PROBLEMS = 100;
/** An unknown key is shown in a path up to this many characters. */
export const MAX_KEY_SHOWN = 64;

/** Where a value sits: built into a string only when a problem is reported there. */
interface At {
  readonly parent: At | undefined;
  readonly key: string | number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pathOf(at: At | undefined): string {
  const parts: string[] = [];
  for (let a = at; a !== undefined; a = a.parent) {
    const { key } = a;
    if (typeof key === 'number') parts.push(`[${key}]`);
    else if (key.length <= MAX_KEY_SHOWN && IDENTIFIER.test(key)) parts.push(`.${key}`);
    else parts.push(`[${JSON.stringify(key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN)}…` : key)}]`);
  }
  return `$${parts.reverse().join('')}`;
}

class Problems {
  readonly list: TypeProblem[] = [];
  /** Set when the walk stopped with values left unchecked. */
  private cut = false;

  /** True once MAX_PROBLEMS are listed: the caller stops walking (and the list says it was cut). */
  get full(): boolean {
    if (this.list.length < MAX_PROBLEMS) return false;
    this.cut = true;
    return true;
  }

  add(at: At | undefined, problem: string): void {
    if (!this.full) this.list.push({ path: pathOf(at), problem });
  }

  result(): TypeProblem[] {
    if (!this.cut) return this.list;
    return [...this.list, { path: '$', problem: `list cut at ${MAX_PROBLEMS} problems: there may be more` }];
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What a value is, in the words of the type system (`Float` for 1.5), for `expected X, got Y`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'no value';
  if (Array.isArray(value)) return 'List';
  switch (typeof value) {
    case 'boolean':
      return 'Boolean';
    case 'string':
      return 'String';
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return 'an infinite number';
      if (!Number.isInteger(value)) return 'Float';
      return Number.isSafeInteger(value) ? 'Integer' : 'an integer outside ±(2^53-1)';
    case 'object':
      return isPlainObject(value) ? 'Object' : 'an object that is not plain JSON';
    default:
      return `a ${typeof value}`;
  }
}

function matchesScalar(type: InboundTypeName, value: unknown): boolean {
  switch (type) {
    case 'Boolean':
      return typeof value === 'boolean';
    case 'String':
      return typeof value === 'string';
    case 'Integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'Float':
      // JSON has one number type (1.0 arrives as 1): any finite number is a Float.
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return false;
  }
}

/** Checks the declared fields of an object and refuses the others. */
function checkFields(fields: Readonly<Record<string, InboundTypeDef>>, value: Record<string, unknown>, at: At | undefined, out: Problems): void {
  for (const [name, def] of Object.entries(fields)) {
    if (out.full) return;
    const child: At = { parent: at, key: name };
    if (!Object.hasOwn(value, name) || value[name] === undefined) {
      if (def.required) out.add(child, 'missing');
    } else if (value[name] === null) {
      if (def.required) out.add(child, `expected ${def.type}, got null`);
    } else {
      checkValue(def, value[name], child, out);
    }
  }
  for (const key in value) {
    if (out.full) return;
    if (Object.hasOwn(value, key) && !Object.hasOwn(fields, key)) out.add({ parent: at, key }, 'unknown field');
  }
}

/** `value` is present and not null here. */
function checkValue(def: InboundTypeDef, value: unknown, at: At | undefined, out: Problems): void {
  if (def.type === 'Object') {
    if (!isPlainObject(value)) return out.add(at, `expected Object, got ${describeValue(value)}`);
    return checkFields(def.fields ?? {}, value, at, out);
  }
  if (def.type === 'List') {
    if (!Array.isArray(value)) return out.add(at, `expected List, got ${describeValue(value)}`);
    const items = def.items ?? { type: 'String', required: true };
    for (let i = 0; i < value.length && !out.full; i++) {
      const item: unknown = value[i];
      const child: At = { parent: at, key: i };
      if (item === null || item === undefined) out.add(child, `expected ${items.type}, got ${describeValue(item)}`);
      else checkValue(items, item, child, out);
    }
    return undefined;
  }
  if (!matchesScalar(def.type, value)) out.add(at, `expected ${def.type}, got ${describeValue(value)}`);
  return undefined;
}

/**
 * The problems of a request body for `method`: each missing required
 * parameter, each unknown one, each value of the wrong type, at any depth.
 * No body (undefined) counts as `{}`. An empty list means the call is valid.
 */
export function checkParameters(method: Pick<InboundMethodConfig, 'parameters'>, body: unknown): TypeProblem[] {
  const out = new Problems();
  const value = body === undefined ? {} : body;
  if (!isPlainObject(value)) out.add(undefined, `expected an Object of parameters, got ${describeValue(value)}`);
  else checkFields(method.parameters, value, undefined, out);
  return out.result();
}

/**
 * The problems of a script's return value for `method`. With no return
 * definition the script must return nothing (undefined or null). An optional
 * return (`required: false`) may be undefined or null.
 */
export function checkReturn(method: Pick<InboundMethodConfig, 'returns'>, value: unknown): TypeProblem[] {
  const out = new Problems();
  const def = method.returns;
  if (def === null) {
    if (value !== undefined && value !== null) out.add(undefined, `the method declares no return value, got ${describeValue(value)}`);
  } else if (value === undefined || value === null) {
    if (def.required) out.add(undefined, value === null ? `expected ${def.type}, got null` : `missing: expected ${def.type}, the script returned no value`);
  } else {
    checkValue(def, value, undefined, out);
  }
  return out.result();
}

/** One line for the failure log when a return value does not match: `GetRecipe returned a value that ...: $.a: ...; $.b: ...`. */
export function describeReturnMismatch(methodName: string, problems: readonly TypeProblem[]): string {
  const shown = problems.slice(0, 10).map((p) => `${p.path}: ${p.problem}`);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return `method ${methodName} returned a value that does not match its return definition: ${shown.join('; ')}${more}`;
}
