// A real, asynchronous host for script tests: every op completes on a later
// turn of the event loop (timers), like the site's SQL, HTTP and SMTP calls.
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'vitest';
import { DeliveryError, ScadaLinkError, newTrackedOperationId } from '../../src/commons/index.js';
import {
  defineScriptHost,
  type HostCall,
  type JsonObject,
  type JsonValue,
  type LogLevel,
  type ScriptHost,
  type ScriptRuntime,
  type TrackingStatus,
} from '../../src/scripts/index.js';

export const SLOW_MS = 150;

export class TestHost {
  readonly calls: HostCall[] = [];
  readonly logs: [LogLevel, string][] = [];
  readonly attributes = new Map<string, JsonValue>([['Level', 42]]);
  readonly statuses = new Map<string, TrackingStatus>();
  readonly openHandles = new Set<string>();
  readonly openTransactions = new Set<string>();
  readonly executed: string[] = [];
  /** Host calls that have finished (not merely started). */
  completed = 0;
  #next = 1;

  readonly host: ScriptHost;

  constructor() {
    const record = <T>(call: HostCall, work: () => Promise<T>): Promise<T> => {
      this.calls.push(call);
      return work().finally(() => {
        this.completed++;
      });
    };
    const handle = (prefix: string): string => `${prefix}${this.#next++}`;
    const track = (): string => {
      const id = newTrackedOperationId();
      const now = new Date().toISOString();
      this.statuses.set(id, {
        TrackedOperationId: id,
        Status: 'Delivered',
        RetryCount: 0,
        LastError: null,
        HttpStatus: 200,
        CreatedAtUtc: now,
        UpdatedAtUtc: now,
        TerminalAtUtc: now,
      });
      return id;
    };
    this.host = defineScriptHost({
      'ExternalSystem.Call': (system, method, params) =>
        record({ op: 'ExternalSystem.Call', args: [system, method, params] }, async () => {
          if (system === 'never') return new Promise<never>(() => undefined);
          await delay(system === 'slow' ? SLOW_MS : 2);
          if (system === 'fail') {
            throw new DeliveryError('HTTP_PERMANENT', `${method} rejected: 422 Unprocessable Entity`, 'permanent', {
              httpStatus: 422,
              details: { trackedOperationId: 'not-cached', system },
            });
          }
          if (system === 'crash') throw new Error('socket hang up');
          return { system, method, echo: params, at: 'host' };
        }),
      'ExternalSystem.CachedCall': (system, method, params) =>
        record({ op: 'ExternalSystem.CachedCall', args: [system, method, params] }, async () => {
          await delay(2);
          const id = track();
          if (system === 'fail') {
            throw new DeliveryError('HTTP_PERMANENT', 'order rejected', 'permanent', {
              httpStatus: 409,
              details: { trackedOperationId: id },
            });
          }
          return id;
        }),
      'Database.Open': (name) =>
        record({ op: 'Database.Open', args: [name] }, async () => {
          await delay(1);
          const h = handle(`db:${name}:`);
          this.openHandles.add(h);
          return h;
        }),
      'Database.Query': (h, sql, params) =>
        record({ op: 'Database.Query', args: [h, sql, params] }, async () => {
          await delay(1);
          return [{ handle: h, sql, params: params as JsonValue }];
        }),
      'Database.Execute': (h, sql, params) =>
        record({ op: 'Database.Execute', args: [h, sql, params] }, async () => {
          await delay(1);
          this.executed.push(`${h} ${sql}`);
          return 1;
        }),
      'Database.Begin': (h) =>
        record({ op: 'Database.Begin', args: [h] }, async () => {
          await delay(1);
          const tx = handle(`tx:${h}:`);
          this.openTransactions.add(tx);
          return tx;
        }),
      'Database.Commit': (tx) =>
        record({ op: 'Database.Commit', args: [tx] }, async () => {
          this.openTransactions.delete(tx);
          return null;
        }),
      'Database.Rollback': (tx) =>
        record({ op: 'Database.Rollback', args: [tx] }, async () => {
          this.openTransactions.delete(tx);
          return null;
        }),
      'Database.CallProcedure': (h, name, args) =>
        record({ op: 'Database.CallProcedure', args: [h, name, args] }, async () => ({ procedure: name, out: 7 })),
      'Database.CachedWrite': (name, sql, params) =>
        record({ op: 'Database.CachedWrite', args: [name, sql, params] }, async () => track()),
      'Tracking.Status': (id) =>
        record({ op: 'Tracking.Status', args: [id] }, async () => {
          await delay(1);
          return this.statuses.get(id) ?? null;
        }),
      'Notify.Send': (list, subject, body) =>
        record({ op: 'Notify.Send', args: [list, subject, body] }, async () => track()),
      'Instance.GetAttribute': (name) =>
        record({ op: 'Instance.GetAttribute', args: [name] }, async () => {
          await delay(1);
          if (!this.attributes.has(name)) {
            throw new ScadaLinkError('ATTRIBUTE_UNKNOWN', `no attribute ${name}`, { details: { attribute: name } });
          }
          return this.attributes.get(name)!;
        }),
      'Instance.SetAttribute': (name, value) =>
        record({ op: 'Instance.SetAttribute', args: [name, value] }, async () => {
          await delay(1);
          this.attributes.set(name, value);
          return null;
        }),
      'Scripts.Call': (name, params) =>
        record({ op: 'Scripts.Call', args: [name, params] }, async () => ({ called: name, params: params as JsonObject })),
      'Route.Call': (instance, script, params) =>
        record({ op: 'Route.Call', args: [instance, script, params] }, async () => ({ routed: instance, script })),
      'Route.GetAttributes': (instance, names) =>
        record({ op: 'Route.GetAttributes', args: [instance, names] }, async () => Object.fromEntries(names.map((n) => [n, `${instance}.${n}`]))),
      'Route.SetAttributes': (instance, values) => record({ op: 'Route.SetAttributes', args: [instance, values] }, async () => null),
      Log: (level, message) =>
        record({ op: 'Log', args: [level, message] }, async () => {
          await delay(1);
          this.logs.push([level, message]);
          return null;
        }),
    });
  }
}

/** A script that does ordinary host work and returns a known value. */
export const BYSTANDER = `
const a = await ExternalSystem.Call('erp', 'ping', { n: Parameters.n });
const b = await Instance.GetAttribute('Level');
return a.echo.n + b;
`;

/**
 * Starts `count` well-behaved runs next to an attack; resolves when all of
 * them have returned their own correct value.
 */
export async function bystanders(rt: ScriptRuntime, count = 3): Promise<void> {
  const host = new TestHost();
  const results = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      rt.run({ source: BYSTANDER, parameters: { n }, timeoutMs: 5_000, host: host.host }),
    ),
  );
  expect(results).toEqual(Array.from({ length: count }, (_, n) => n + 42));
}

/** The rejection of `p`, failing the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<ScadaLinkError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScadaLinkError);
  return err as ScadaLinkError;
}
