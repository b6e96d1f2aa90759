// Resolves `inboundApi` (issue 11 point 3): defaults for `required`, the depth
// limit of type definitions, and each method's script file (loaded like an
// instance script, by the caller's loader).

import { MAX_METHOD_NAME_LENGTH, type InboundMethodInput, type TypeDefInput } from './schema-inbound.js';
import type { InboundApiConfig, InboundMethodConfig, InboundTypeDef, ScriptConfig, ScriptLanguage } from './types.js';

/** Objects and Lists nest at most this deep (a parameter itself is level 1). */
export const MAX_TYPE_DEPTH = 16;

type MethodScriptFile = InboundMethodConfig['script'];

export interface InboundResolver {
  readonly report: (path: string, message: string) => void;
  /** Loads a script file as for an instance script; problems are reported under `${path}.file`. */
  readonly loadScript: (
    path: string,
    raw: { file: string; language?: ScriptLanguage | undefined; timeout: number; memoryMb: number },
  ) => Pick<ScriptConfig, 'file' | 'source' | 'language' | 'timeoutMs' | 'memoryMb'>;
}

function resolveType(r: InboundResolver, path: string, raw: TypeDefInput, depth: number, isItem: boolean): InboundTypeDef {
  if (depth > MAX_TYPE_DEPTH) {
    r.report(path, `nested too deep: Objects and Lists nest at most ${MAX_TYPE_DEPTH} levels`);
    return { type: raw.type, required: true };
  }
  if (isItem && raw.required !== undefined) r.report(`${path}.required`, 'not used for list items: an item is never absent');
  const def: { -readonly [K in keyof InboundTypeDef]: InboundTypeDef[K] } = { type: raw.type, required: isItem ? true : (raw.required ?? true) };
  if (raw.description !== undefined) def.description = raw.description;
  if (raw.fields !== undefined) {
    const fields: Record<string, InboundTypeDef> = {};
    for (const [name, field] of Object.entries(raw.fields)) fields[name] = resolveType(r, `${path}.fields.${name}`, field, depth + 1, false);
    def.fields = fields;
  }
  if (raw.items !== undefined) def.items = resolveType(r, `${path}.items`, raw.items, depth + 1, true);
  return def;
}

/** The methods of `inboundApi` (its `databases` are resolved with the sites' in resolve.ts). */
export function resolveInboundMethods(r: InboundResolver, raw: Readonly<Record<string, InboundMethodInput>>): InboundApiConfig['methods'] {
  const methods: Record<string, InboundMethodConfig> = {};
  for (const [name, m] of Object.entries(raw)) {
    const path = `inboundApi.methods.${name}`;
    if (name.length > MAX_METHOD_NAME_LENGTH) r.report(path, `method name too long: at most ${MAX_METHOD_NAME_LENGTH} characters`);
    const parameters: Record<string, InboundTypeDef> = {};
    for (const [param, def] of Object.entries(m.parameters)) parameters[param] = resolveType(r, `${path}.parameters.${param}`, def, 1, false);
    const script: MethodScriptFile = r.loadScript(`${path}.script`, { ...m.script, timeout: m.timeout });
    methods[name] = {
      name,
      ...(m.description === undefined ? {} : { description: m.description }),
      parameters,
      returns: m.returns === null ? null : resolveType(r, `${path}.returns`, m.returns, 1, false),
      apiKeys: m.apiKeys,
      timeoutMs: m.timeout,
      script,
    };
  }
  return methods;
}
