// Zod schemas for scadalink.yaml (DESIGN §8; documented in docs/configuration.md).
// Every mapping is strict so a misspelt key is an error, not a silent default.
// Defaults live here; cross-references (site, attribute, alarm, script file)
// are checked afterwards in resolve.ts, once the shape is known to be valid.

import { z } from 'zod';
import { Duration, Text, duration, int, named, oneOf } from './schema-common.js';
import { inboundApiSchema } from './schema-inbound.js';
import { MICROSOFT_365_SMTP_SCOPE } from './smtp-defaults.js';

const Site = z.preprocess((v) => v ?? {}, z.strictObject({ description: z.string().default('') }));

const Attribute = z
  .strictObject({
    type: z.enum(['number', 'string', 'boolean']),
    initial: z.union([z.number(), z.string(), z.boolean(), z.null()]).default(null),
  })
  .superRefine((a, ctx) => {
    if (a.initial !== null && typeof a.initial !== a.type) {
      ctx.addIssue({ code: 'custom', path: ['initial'], message: `expected ${a.type}` });
    }
  });

const Alarm = z.strictObject({
  attribute: Text,
  kind: z.enum(['high', 'low']),
  limit: z.number(),
  deadband: z.number().min(0).default(0),
});

const Trigger = z.union(
  [
    z.literal('call'),
    z.strictObject({ interval: Duration }),
    z.strictObject({ attributeChange: Text }),
    z.strictObject({ alarm: Text }),
  ],
  { error: 'expected `call` or one of { interval }, { attributeChange }, { alarm }' },
);

const scriptFields = {
  file: Text,
  language: z.enum(['js', 'ts']).optional(),
  timeout: duration(30_000),
  memoryMb: int(8).default(64),
};

const Script = z.strictObject({ ...scriptFields, triggers: z.array(Trigger).default([]) });
const SharedScript = z.strictObject(scriptFields);

const Instance = z.strictObject({
  site: Text,
  attributes: named(Attribute),
  alarms: named(Alarm),
  scripts: named(Script),
});

const Parameter = z.strictObject({
  type: z.enum(['string', 'number', 'integer', 'boolean', 'object', 'list']),
  required: z.boolean().default(true),
});

const Method = z
  .strictObject({
    verb: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: Text.refine((p) => p.startsWith('/'), 'must start with /'),
    parameters: named(Parameter),
  })
  .superRefine((m, ctx) => {
    for (const [, name] of m.path.matchAll(/\{([^}]*)\}/g)) {
      if (name === undefined || !(name in m.parameters)) {
        ctx.addIssue({ code: 'custom', path: ['path'], message: `placeholder {${name ?? ''}} is not a declared parameter` });
      }
    }
  });

const Auth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('apiKey'), header: Text, key: Text }),
  z.strictObject({ type: z.literal('basic'), username: Text, password: z.string() }),
]);

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

const retryFields = { maxRetries: int(0).default(10), retryInterval: duration(60_000) };

const ExternalSystem = z.strictObject({
  baseUrl: Text.refine(isHttpUrl, 'must be an http:// or https:// URL'),
  auth: Auth.default({ type: 'none' }),
  timeout: duration(30_000),
  ...retryFields,
  maxConcurrency: int(1).default(8),
  methods: named(Method),
});

const Database = z
  .strictObject({
    driver: z.enum(['postgres', 'mysql', 'sqlite']),
    host: Text.optional(),
    port: int(1, 65_535).optional(),
    database: Text.optional(),
    user: Text.optional(),
    password: z.string().optional(),
    file: Text.optional(),
    poolSize: int(1).default(5),
    timeout: duration(30_000),
    ...retryFields,
    maxConcurrency: int(1).default(4),
  })
  .superRefine((db, ctx) => {
    const need = (key: keyof typeof db, present: boolean, why: string) => {
      if (present && db[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
      if (!present && db[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `not used ${why}` });
    };
    const server = db.driver !== 'sqlite';
    const why = `for driver ${db.driver}`;
    need('file', !server, why);
    need('host', server, why);
    need('database', server, why);
    for (const key of ['port', 'user', 'password'] as const) {
      if (!server && db[key] !== undefined) need(key, false, why);
    }
  });

const Email = z.string().regex(/^[^\s@]+@[^\s@]+$/, 'invalid e-mail address');

const SmtpAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('None') }),
  z.strictObject({ type: z.literal('Basic'), username: Text, password: z.string() }),
  z.strictObject({
    type: z.literal('OAuth2'),
    tenantId: Text,
    clientId: Text,
    clientSecret: z.string().min(1, 'required'),
    tokenEndpoint: Text.refine(isHttpUrl, 'must be an http:// or https:// URL').optional(),
    scope: Text.default(MICROSOFT_365_SMTP_SCOPE),
  }),
]);

const DEFAULT_SMTP_PORT = { None: 25, StartTLS: 587, SSL: 465 } as const;

const Smtp = z
  .strictObject({
    host: Text,
    port: int(1, 65_535).optional(),
    tls: oneOf(['None', 'StartTLS', 'SSL'] as const).default('StartTLS'),
    auth: z
      .preprocess((v) => {
        // Accept `basic`, `oauth2`, ... like the external systems' lowercase spelling.
        if (v === null || typeof v !== 'object' || typeof (v as { type?: unknown }).type !== 'string') return v;
        const type = (v as { type: string }).type;
        const canonical = ['None', 'Basic', 'OAuth2'].find((n) => n.toLowerCase() === type.toLowerCase());
        return canonical === undefined ? v : { ...v, type: canonical };
      }, SmtpAuth)
      .default({ type: 'None' }),
    fromAddress: Email,
    /** A CA or self-signed certificate (PEM file, relative to the project) to trust for TLS. */
    caFile: Text.optional(),
    connectionTimeout: duration(30_000),
    maxConnections: int(1).default(5),
    ...retryFields,
  })
  .transform((s) => ({ ...s, port: s.port ?? DEFAULT_SMTP_PORT[s.tls] }));

export const ProjectSchema = z.strictObject({
  sites: named(Site),
  instances: named(Instance),
  sharedScripts: named(SharedScript),
  externalSystems: named(ExternalSystem),
  databases: named(Database),
  notificationLists: named(z.array(Email).min(1)),
  smtp: Smtp.optional(),
  inboundApi: inboundApiSchema(Database),
});

export type ProjectInput = z.output<typeof ProjectSchema>;
export type DatabaseInput = z.output<typeof Database>;
export type ScriptInput = z.output<typeof Script>;
export type SharedScriptInput = z.output<typeof SharedScript>;
