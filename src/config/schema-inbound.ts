// Zod schema for `inboundApi` in scadalink.yaml (issue 11 point 3; documented
// in docs/configuration.md and docs/inbound-api.md): the methods external
// systems call on central, each with typed parameters, a return type, the API
// keys approved for it, a timeout and its implementation script. Nesting depth
// and the script file are checked in resolve-inbound.ts, once the shape is valid.

import { z } from 'zod';
import { Duration, Name, Text, int, oneOf } from './schema-common.js';

export const INBOUND_TYPE_NAMES = ['Boolean', 'Integer', 'Float', 'String', 'Object', 'List'] as const;
export type InboundTypeName = (typeof INBOUND_TYPE_NAMES)[number];

/** A method runs for 30 s unless its `timeout` says otherwise, and never longer than 5 minutes. */
export const DEFAULT_METHOD_TIMEOUT_MS = 30_000;
export const MAX_METHOD_TIMEOUT_MS = 5 * 60_000;

/** A method name is a path segment of `/api/{name}`: letters, digits, `_` and `-`, starting with a letter. */
export const MAX_METHOD_NAME_LENGTH = 64;

/** API key names as `scadalink central apikey create NAME` takes them. */
export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const KeyName = z.string().regex(API_KEY_NAME_PATTERN, 'invalid API key name: 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');

export interface TypeDefInput {
  type: InboundTypeName;
  /** Absent here; resolve-inbound.ts applies the default (true) where it means something. */
  required?: boolean | undefined;
  description?: string | undefined;
  fields?: Record<string, TypeDefInput> | undefined;
  items?: TypeDefInput | undefined;
}

export const TypeDef: z.ZodType<TypeDefInput, unknown> = z.lazy(() =>
  z
    .strictObject({
      type: oneOf(INBOUND_TYPE_NAMES),
      required: z.boolean().optional(),
      description: z.string().optional(),
      fields: z.record(Name, TypeDef).optional(),
      items: TypeDef.optional(),
    })
    .superRefine((t, ctx) => {
      if (t.type === 'Object' && t.fields === undefined) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'required for type Object' });
      if (t.type !== 'Object' && t.fields !== undefined) ctx.addIssue({ code: 'custom', path: ['fields'], message: `only for type Object, not ${t.type}` });
      if (t.type === 'List' && t.items === undefined) ctx.addIssue({ code: 'custom', path: ['items'], message: 'required for type List' });
      if (t.type !== 'List' && t.items !== undefined) ctx.addIssue({ code: 'custom', path: ['items'], message: `only for type List, not ${t.type}` });
    }),
);

/** `script: recipes/get.ts` is short for `script: { file: recipes/get.ts }`. */
const MethodScript = z.preprocess(
  (v) => (typeof v === 'string' ? { file: v } : v),
  z.strictObject({
    file: Text,
    language: z.enum(['js', 'ts']).optional(),
    memoryMb: int(8).default(64),
  }),
);

const MethodTimeout = Duration.refine((ms) => ms <= MAX_METHOD_TIMEOUT_MS, `must be at most ${MAX_METHOD_TIMEOUT_MS / 60_000}m`).default(DEFAULT_METHOD_TIMEOUT_MS);

const Method = z
  .strictObject({
    description: z.string().optional(),
    parameters: z.record(Name, TypeDef).default({}),
    /** Absent or null: the method returns no value (200 with `null`). */
    returns: TypeDef.nullable().default(null),
    apiKeys: z.array(KeyName).default([]),
    timeout: MethodTimeout,
    script: MethodScript,
  })
  .superRefine((m, ctx) => {
    m.apiKeys.forEach((key, i) => {
      if (m.apiKeys.indexOf(key) !== i) ctx.addIssue({ code: 'custom', path: ['apiKeys', i], message: 'listed twice' });
    });
  });

/**
 * `inboundApi`, given the schema of a database connection (schema.ts's, shared
 * with the sites' `databases`): `databases` are central's own, for method
 * scripts' `Database.Connection(name)`.
 */
export function inboundApiSchema<D extends z.ZodType>(database: D) {
  return z
    .strictObject({ databases: z.record(Name, database).default({}), methods: z.record(Name, Method).default({}) })
    .default({ databases: {}, methods: {} });
}

export type InboundMethodInput = z.output<typeof Method>;
