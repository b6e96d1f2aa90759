// A method definition compiled once (path template split, parameter defs
// indexed) so the hot path only walks the caller's params.
import { DeliveryError } from '../../commons/index.js';
import type { ExternalMethodConfig, ParameterDef, ParameterType } from '../../config/index.js';
import { HttpErrorCode, type CallLabel } from './classify.js';

export interface CompiledMethod {
  readonly verb: ExternalMethodConfig['verb'];
  /** POST/PUT/PATCH send params as a JSON body; GET/DELETE as a query string. */
  readonly hasBody: boolean;
  /** Literal path pieces; placeholder i sits between literals[i] and literals[i + 1]. */
  readonly literals: readonly string[];
  readonly placeholders: readonly string[];
  readonly placeholderSet: ReadonlySet<string>;
  readonly defs: ReadonlyMap<string, ParameterDef>;
  readonly required: readonly string[];
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

export function compileMethod(method: ExternalMethodConfig): CompiledMethod {
  const literals: string[] = [];
  const placeholders: string[] = [];
  let last = 0;
  for (const m of method.path.matchAll(PLACEHOLDER)) {
    literals.push(method.path.slice(last, m.index));
    placeholders.push(m[1]!.trim());
    last = m.index + m[0].length;
  }
  literals.push(method.path.slice(last));
  // The method path is relative to the system's base path whatever its slashes.
  literals[0] = literals[0]!.replace(/^\/+/, '');
  const defs = new Map(method.parameters.map((d) => [d.name, d] as const));
  return {
    verb: method.verb,
    hasBody: method.verb === 'POST' || method.verb === 'PUT' || method.verb === 'PATCH',
    literals,
    placeholders,
    placeholderSet: new Set(placeholders),
    defs,
    required: method.parameters.filter((d) => d.required).map((d) => d.name),
  };
}

function invalid(call: CallLabel, parameter: string, reason: string): DeliveryError {
  return new DeliveryError(
    HttpErrorCode.InvalidParameters,
    `${call.label}: parameter "${parameter}" ${reason}`,
    'permanent',
    { details: { ...call.details, parameter, reason } },
  );
}

const ARTICLE: Readonly<Record<ParameterType, string>> = {
  string: 'a',
  number: 'a',
  integer: 'an',
  boolean: 'a',
  object: 'an',
  list: 'a',
};

function hasType(value: unknown, type: ParameterType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'list':
      return Array.isArray(value);
  }
}

/**
 * Checks params against the method's definitions. `undefined` means absent
 * (even under a name the method does not declare);
 * `null` is absent for a required parameter and an explicit null for an
 * optional one. Placeholders in the path are accepted even when the method
 * does not declare them (their value is checked when the path is built).
 * Messages name the parameter, never its value (it may be sensitive).
 */
export function validateParams(
  method: CompiledMethod,
  params: Readonly<Record<string, unknown>>,
  call: CallLabel,
): void {
  for (const name in params) {
    if (!Object.hasOwn(params, name)) continue;
    const value = params[name];
    if (value === undefined) continue;
    const def = method.defs.get(name);
    if (def === undefined) {
      if (method.placeholderSet.has(name)) continue;
      throw invalid(call, name, 'is not a parameter of this method');
    }
    if (value === null) continue;
    if (!hasType(value, def.type)) throw invalid(call, name, `must be ${ARTICLE[def.type]} ${def.type}`);
  }
  for (const name of method.required) {
    if (!Object.hasOwn(params, name) || params[name] === undefined || params[name] === null) {
      throw invalid(call, name, 'is required');
    }
  }
}

/** The method's path with placeholders filled (URL-encoded), relative to the base path. */
export function buildPath(
  method: CompiledMethod,
  params: Readonly<Record<string, unknown>>,
  call: CallLabel,
): string {
  const { literals, placeholders } = method;
  if (placeholders.length === 0) return literals[0]!;
  let path = literals[0]!;
  for (let i = 0; i < placeholders.length; i++) {
    const name = placeholders[i]!;
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined || value === null) throw invalid(call, name, 'is required (path)');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(call, name, 'must be a string, number or boolean (path)');
    }
    const text = String(value);
    if (text.length === 0) throw invalid(call, name, 'must not be empty (path)');
    path += encodeURIComponent(text) + literals[i + 1]!;
  }
  return path;
}

/** JSON body of a POST/PUT/PATCH: the params not used in the path. */
export function buildJsonBody(
  method: CompiledMethod,
  params: Readonly<Record<string, unknown>>,
  call: CallLabel,
): string {
  try {
    // Fast path: nothing to strip, serialise the caller's object as is.
    if (method.placeholders.length === 0) return JSON.stringify(params);
    const rest: Record<string, unknown> = {};
    for (const name in params) {
      if (Object.hasOwn(params, name) && !method.placeholderSet.has(name)) rest[name] = params[name];
    }
    return JSON.stringify(rest);
  } catch (err) {
    // BigInt or a cycle somewhere inside an object/list parameter.
    throw new DeliveryError(
      HttpErrorCode.InvalidParameters,
      `${call.label}: parameters cannot be encoded as JSON`,
      'permanent',
      { cause: err, details: call.details },
    );
  }
}

/**
 * Query string of a GET/DELETE (without the leading separator): scalars as
 * text, objects and lists JSON-encoded; absent and null values are left out.
 */
export function buildQuery(
  method: CompiledMethod,
  params: Readonly<Record<string, unknown>>,
  call: CallLabel,
): string {
  let query = '';
  for (const name in params) {
    if (!Object.hasOwn(params, name) || method.placeholderSet.has(name)) continue;
    const value = params[name];
    if (value === undefined || value === null) continue;
    let text: string;
    if (typeof value === 'object') {
      try {
        text = JSON.stringify(value);
      } catch (err) {
        throw new DeliveryError(
          HttpErrorCode.InvalidParameters,
          `${call.label}: parameter "${name}" cannot be encoded as JSON`,
          'permanent',
          { cause: err, details: { ...call.details, parameter: name } },
        );
      }
    } else {
      text = String(value);
    }
    if (query.length > 0) query += '&';
    query += `${encodeURIComponent(name)}=${encodeURIComponent(text)}`;
  }
  return query;
}
