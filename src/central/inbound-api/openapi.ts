// OpenAPI 3.1 for the Inbound API (issue 11 point 9; docs/inbound-api.md),
// generated from the method definitions so external teams can generate
// clients: one `POST /api/{method}` per method, its parameters as the request
// body's schema and its return type as the 200 schema (JSON Schema 2020-12, as
// OpenAPI 3.1 uses), the X-API-Key scheme, and every error as `{error, code}`.

import type { InboundMethodConfig, InboundTypeDef } from '../../config/index.js';
import { INBOUND_ERRORS, type InboundErrorInfo } from './errors.js';

type Schema = Record<string, unknown>;

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export const API_KEY_SCHEME = 'ApiKey';


const JSON_TYPE = { Boolean: 'boolean', Integer: 'integer', Float: 'number', String: 'string', Object: 'object', List: 'array' } as const;

/** The JSON Schema of a declared type; `nullable` adds null (an optional field or return may be null). */
export function typeSchema(def: InboundTypeDef, nullable = false): Schema {
  const type = JSON_TYPE[def.type];
  const schema: Schema = { type: nullable ? [type, 'null'] : type };
  if (def.description !== undefined) schema.description = def.description;
  if (def.type === 'Integer') {
    schema.minimum = -Number.MAX_SAFE_INTEGER;
    schema.maximum = Number.MAX_SAFE_INTEGER;
  }
  if (def.type === 'Object') Object.assign(schema, objectSchema(def.fields ?? {}));
  if (def.type === 'List' && def.items !== undefined) schema.items = typeSchema(def.items);
  return schema;
}

function objectSchema(fields: Readonly<Record<string, InboundTypeDef>>): Schema {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, typeSchema(f, !f.required)]));
  const required = Object.entries(fields).filter(([, f]) => f.required).map(([name]) => name);
  return { properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

function returnSchema(def: InboundTypeDef | null): Schema {
  if (def === null) return { type: 'null', description: 'The method returns no value.' };
  return typeSchema(def, !def.required);
}

const errorRef = { $ref: '#/components/schemas/Error' };

function errorResponses(errors: readonly InboundErrorInfo[]): Record<string, unknown> {
  const byStatus = new Map<number, InboundErrorInfo[]>();
  for (const e of errors) byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [
      String(status),
      {
        description: list.map((e) => `\`${e.code}\`: ${e.description}`).join(' '),
        content: { 'application/json': { schema: errorRef } },
      },
    ]),
  );
}

function operation(method: InboundMethodConfig): Schema {
  const body = { type: 'object', ...objectSchema(method.parameters) };
  const anyRequired = Object.values(method.parameters).some((p) => p.required);
  return {
    operationId: method.name,
    summary: method.description ?? `Calls ${method.name}`,
    ...(method.description === undefined ? {} : { description: method.description }),
    requestBody: { required: anyRequired, content: { 'application/json': { schema: body } } },
    responses: {
      200: { description: 'The return value.', content: { 'application/json': { schema: returnSchema(method.returns) } } },
      // Every error, UNKNOWN_METHOD too: a client generated before a method was removed still calls it.
      ...errorResponses(INBOUND_ERRORS),
    },
  };
}

const problemSchema = {
  type: 'object',
  required: ['path', 'problem'],
  properties: {
    path: { type: 'string', description: 'JSON path of the bad value, such as $.batch.items[2].qty' },
    problem: { type: 'string', description: '`missing`, `unknown field` or `expected <Type>, got <what>`' },
  },
  additionalProperties: false,
};

/** The OpenAPI 3.1 document for these methods. */
export function openApiDocument(methods: Readonly<Record<string, InboundMethodConfig>>, info: OpenApiInfo): Schema {
  const names = Object.keys(methods).sort();
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description === undefined ? {} : { description: info.description }) },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ [API_KEY_SCHEME]: [] }],
    paths: Object.fromEntries(names.map((name) => [`/api/${name}`, { post: operation(methods[name]!) }])),
    components: {
      securitySchemes: {
        [API_KEY_SCHEME]: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key approved for the method.' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string', description: 'A message for people; it reveals no internal detail.' },
            code: { type: 'string', enum: INBOUND_ERRORS.map((e) => e.code), description: 'Stable: program against it.' },
            details: {
              type: 'object',
              description: 'With INVALID_PARAMETERS: every problem found.',
              required: ['problems'],
              properties: { problems: { type: 'array', items: problemSchema } },
            },
          },
        },
      },
    },
  };
}
