// Isolate-side script API (DESIGN §7): the PascalCase, async globals a script
// sees, built over the one `hostCall(op, args)` the core bootstrap provides.
// JavaScript text, not TypeScript: see core.ts for why.

import type { HostOp } from '../host-ops.js';

/** An op name as a JS string literal; typed so the bootstrap can only emit known ops. */
const op = (name: HostOp): string => JSON.stringify(name);

/**
 * Source of the `install(hostCall, global)` function expression (core.ts). It
 * runs once, when the isolate's context is prepared; the function it returns
 * receives each run's data, `{ parameters }`. Argument checks here give the script a clear
 * TypeError at its own line; the host checks again (host-ops.ts).
 */
export const SCRIPT_API_BOOTSTRAP = `function (hostCall, global) {
  'use strict';
  const freeze = Object.freeze, keys = Object.keys, isFrozen = Object.isFrozen;
  const isArray = Array.isArray, stringify = JSON.stringify, toText = String;
  const TypeErrorCtor = TypeError;

  function deepFreeze(value) {
    if (value !== null && typeof value === 'object' && !isFrozen(value)) {
      freeze(value);
      for (const key of keys(value)) deepFreeze(value[key]);
    }
    return value;
  }
  function text(what, v) {
    if (typeof v !== 'string' || v.length === 0) throw new TypeErrorCtor(what + ' must be a non-empty string');
    return v;
  }
  function object(what, v) {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || isArray(v)) throw new TypeErrorCtor(what + ' must be an object');
    return v;
  }
  function sqlParams(v) {
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object') throw new TypeErrorCtor('SQL parameters must be an array or an object');
    return v;
  }
  function define(name, value) {
    Object.defineProperty(global, name, { value: value, enumerable: true });
  }

  const ExternalSystem = freeze({
    Call: async (system, method, params) =>
      hostCall(${op('ExternalSystem.Call')}, [text('system', system), text('method', method), object('params', params)]),
    CachedCall: async (system, method, params) =>
      hostCall(${op('ExternalSystem.CachedCall')}, [text('system', system), text('method', method), object('params', params)]),
  });

  function statements(handle) {
    return {
      Query: async (sql, params) => hostCall(${op('Database.Query')}, [handle, text('sql', sql), sqlParams(params)]),
      Execute: async (sql, params) => hostCall(${op('Database.Execute')}, [handle, text('sql', sql), sqlParams(params)]),
    };
  }
  function transaction(handle) {
    const tx = statements(handle);
    tx.Commit = async () => { await hostCall(${op('Database.Commit')}, [handle]); };
    tx.Rollback = async () => { await hostCall(${op('Database.Rollback')}, [handle]); };
    return freeze(tx);
  }
  function connection(handle) {
    const conn = statements(handle);
    conn.BeginTransaction = async () => transaction(await hostCall(${op('Database.Begin')}, [handle]));
    conn.CallProcedure = async (name, args) =>
      hostCall(${op('Database.CallProcedure')}, [handle, text('procedure name', name), sqlParams(args)]);
    return freeze(conn);
  }
  const Database = freeze({
    Connection: async (name) => connection(await hostCall(${op('Database.Open')}, [text('connection name', name)])),
    CachedWrite: async (name, sql, params) =>
      hostCall(${op('Database.CachedWrite')}, [text('connection name', name), text('sql', sql), sqlParams(params)]),
  });

  const Tracking = freeze({
    Status: async (id) => hostCall(${op('Tracking.Status')}, [text('TrackedOperationId', id)]),
  });

  const Notify = freeze({
    To: (list) => {
      const name = text('notification list', list);
      return freeze({
        Send: async (subject, body) => hostCall(${op('Notify.Send')}, [name, toText(subject), toText(body)]),
      });
    },
    Status: Tracking.Status,
  });

  const Instance = freeze({
    GetAttribute: async (name) => hostCall(${op('Instance.GetAttribute')}, [text('attribute name', name)]),
    SetAttribute: async (name, value) => {
      await hostCall(${op('Instance.SetAttribute')}, [text('attribute name', name), value === undefined ? null : value]);
    },
  });

  const Scripts = freeze({
    Call: async (name, params) => hostCall(${op('Scripts.Call')}, [text('script name', name), object('params', params)]),
  });

  // Central (Inbound API) scripts only; a site's host refuses these calls.
  function attributeNames(v) {
    if (!isArray(v)) throw new TypeErrorCtor('attribute names must be a list of strings');
    const out = [];
    for (let i = 0; i < v.length; i++) out.push(text('attribute name', v[i]));
    return out;
  }
  const Route = freeze({
    To: (instanceCode) => {
      const code = text('instance code', instanceCode);
      return freeze({
        Call: async (script, params) => hostCall(${op('Route.Call')}, [code, text('script name', script), object('params', params)]),
        GetAttribute: async (name) => {
          const n = text('attribute name', name);
          const values = await hostCall(${op('Route.GetAttributes')}, [code, [n]]);
          return values[n];
        },
        GetAttributes: async (names) => hostCall(${op('Route.GetAttributes')}, [code, attributeNames(names)]),
        SetAttribute: async (name, value) => {
          const values = {};
          Object.defineProperty(values, text('attribute name', name), { value: value === undefined ? null : value, enumerable: true });
          await hostCall(${op('Route.SetAttributes')}, [code, values]);
        },
        SetAttributes: async (values) => {
          await hostCall(${op('Route.SetAttributes')}, [code, object('attribute values', values)]);
        },
      });
    },
  });

  function logAt(level) {
    return (message) => {
      let line;
      try {
        line = typeof message === 'string' ? message : stringify(message);
        if (line === undefined) line = toText(message);
      } catch (e) {
        line = '[unprintable log message]';
      }
      // Logging never fails a script; the run still waits for the call (core.ts).
      return hostCall(${op('Log')}, [level, line]).then(() => undefined, () => undefined);
    };
  }
  const log = freeze({ info: logAt('info'), warn: logAt('warn'), error: logAt('error') });

  define('ExternalSystem', ExternalSystem);
  define('Database', Database);
  define('Tracking', Tracking);
  define('Notify', Notify);
  define('Instance', Instance);
  define('Scripts', Scripts);
  define('Route', Route);
  define('log', log);
  // One context serves every run on its isolate: Parameters is the current run's.
  let parameters = freeze({});
  Object.defineProperty(global, 'Parameters', { get: () => parameters, enumerable: true });
  return (data) => {
    parameters = deepFreeze(data.parameters === undefined ? {} : data.parameters);
  };
}`;
