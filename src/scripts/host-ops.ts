// The script API's host operations: one typed description shared by the
// isolate-side bootstrap (which may only emit these ops) and the site that
// implements them (DESIGN §7, §3.1).

import type { JsonObject, JsonValue } from './protocol.js';

/** A TrackedOperationId as scripts see it (DESIGN §4). */
export type TrackedOperationIdString = string;

/** Opaque id of an open database connection or transaction, valid for one run. */
export type HandleId = string;

/** Positional (`[1, 'a']`) or named (`{ id: 1 }`) SQL parameters. */
export type SqlParams = readonly JsonValue[] | JsonObject;

export type LogLevel = 'info' | 'warn' | 'error';

/** `Tracking.Status(id)`: the site's authoritative record, `null` for an unknown id. */
export interface TrackingStatus {
  readonly TrackedOperationId: TrackedOperationIdString;
  readonly Status: 'Submitted' | 'Forwarded' | 'Attempted' | 'Delivered' | 'Failed' | 'Parked' | 'Discarded';
  readonly RetryCount: number;
  readonly LastError: string | null;
  readonly HttpStatus: number | null;
  readonly CreatedAtUtc: string;
  readonly UpdatedAtUtc: string;
  readonly TerminalAtUtc: string | null;
}

interface Op<A extends readonly unknown[], R> {
  readonly args: A;
  readonly result: R;
}

/** op → argument tuple → result. */
export interface HostOps {
  'ExternalSystem.Call': Op<[system: string, method: string, params: JsonObject], JsonValue>;
  'ExternalSystem.CachedCall': Op<[system: string, method: string, params: JsonObject], TrackedOperationIdString>;
  'Database.Open': Op<[name: string], HandleId>;
  /** `handle` is a connection or a transaction handle. Resolves to the rows. */
  'Database.Query': Op<[handle: HandleId, sql: string, params: SqlParams], readonly JsonObject[]>;
  /** Resolves to the number of affected rows. */
  'Database.Execute': Op<[handle: HandleId, sql: string, params: SqlParams], number>;
  'Database.Begin': Op<[handle: HandleId], HandleId>;
  'Database.Commit': Op<[tx: HandleId], null>;
  'Database.Rollback': Op<[tx: HandleId], null>;
  'Database.CallProcedure': Op<[handle: HandleId, name: string, args: SqlParams], JsonValue>;
  'Database.CachedWrite': Op<[name: string, sql: string, params: SqlParams], TrackedOperationIdString>;
  'Tracking.Status': Op<[id: TrackedOperationIdString], TrackingStatus | null>;
  'Notify.Send': Op<[list: string, subject: string, body: string], TrackedOperationIdString>;
  'Instance.GetAttribute': Op<[name: string], JsonValue>;
  'Instance.SetAttribute': Op<[name: string, value: JsonValue], null>;
  'Scripts.Call': Op<[name: string, params: JsonObject], JsonValue>;
  /** Central (Inbound API) only: `Route.To(instance).Call(script, params)`. */
  'Route.Call': Op<[instance: string, script: string, params: JsonObject], JsonValue>;
  /** Central only: `Route.To(instance).GetAttribute(s)`; resolves to name -> value. */
  'Route.GetAttributes': Op<[instance: string, names: readonly string[]], JsonObject>;
  /** Central only: `Route.To(instance).SetAttribute(s)`. */
  'Route.SetAttributes': Op<[instance: string, values: JsonObject], null>;
  'Log': Op<[level: LogLevel, message: string], null>;
}

export type HostOp = keyof HostOps;
export type HostArgs<O extends HostOp> = HostOps[O]['args'];
export type HostResult<O extends HostOp> = HostOps[O]['result'];

/** A call as a discriminated union: `switch (c.op)` narrows `c.args`. */
export type HostCall = { [O in HostOp]: { readonly op: O; readonly args: HostArgs<O> } }[HostOp];

// Runtime shape of each op's arguments, checked on the host side of the
// boundary: the isolate is untrusted even though the bootstrap validates too.
type ArgKind = 'string' | 'handle' | 'object' | 'params' | 'json' | 'level' | 'names';

export const HOST_OP_SIGNATURES: { readonly [O in HostOp]: readonly ArgKind[] } = {
  'ExternalSystem.Call': ['string', 'string', 'object'],
  'ExternalSystem.CachedCall': ['string', 'string', 'object'],
  'Database.Open': ['string'],
  'Database.Query': ['handle', 'string', 'params'],
  'Database.Execute': ['handle', 'string', 'params'],
  'Database.Begin': ['handle'],
  'Database.Commit': ['handle'],
  'Database.Rollback': ['handle'],
  'Database.CallProcedure': ['handle', 'string', 'params'],
  'Database.CachedWrite': ['string', 'string', 'params'],
  'Tracking.Status': ['string'],
  'Notify.Send': ['string', 'string', 'string'],
  'Instance.GetAttribute': ['string'],
  'Instance.SetAttribute': ['string', 'json'],
  'Scripts.Call': ['string', 'object'],
  'Route.Call': ['handle', 'handle', 'object'],
  'Route.GetAttributes': ['handle', 'names'],
  'Route.SetAttributes': ['handle', 'object'],
  'Log': ['level', 'string'],
};

export function isHostOp(op: unknown): op is HostOp {
  return typeof op === 'string' && Object.hasOwn(HOST_OP_SIGNATURES, op);
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matches(kind: ArgKind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'handle':
      return typeof v === 'string' && v.length > 0;
    case 'object':
      return isPlainObject(v);
    case 'params':
      return Array.isArray(v) || isPlainObject(v);
    case 'json':
      return v !== undefined;
    case 'level':
      return v === 'info' || v === 'warn' || v === 'error';
    case 'names':
      return Array.isArray(v) && v.every((n) => typeof n === 'string' && n.length > 0);
  }
}

/** Returns the problem with a call's arguments, or `undefined` when they fit the op. */
export function checkHostArgs(op: HostOp, args: readonly unknown[]): string | undefined {
  const kinds = HOST_OP_SIGNATURES[op];
  if (args.length !== kinds.length) return `${op} takes ${kinds.length} argument(s), got ${args.length}`;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    if (!matches(kind, args[i])) return `${op}: argument ${i + 1} must be ${kind}`;
  }
  return undefined;
}
