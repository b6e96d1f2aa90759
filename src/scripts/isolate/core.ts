// Isolate-side code (STYLE §7: sandbox-safe code lives apart from Node-only
// code). Everything in this folder is JavaScript text that runs INSIDE the
// isolate: it must not reference Node, and it is plain ES2022 rather than
// TypeScript compiled by the test runner, whose helpers would not exist there.

import { WIRE } from '../protocol.js';

/**
 * The generic core, run in every fresh context ahead of its run (the pool
 * prepares a spare context while the isolate is idle). It removes the few
 * built-ins a script has no use for, installs the API through `install`, and
 * defines the invoke wrapper that the compiled script calls first thing.
 * Invoke then captures the host entry and run data the host set as globals
 * for this run, deletes them, hands the data to the API, and runs the body.
 *
 * `install` is the source of a function expression
 * `(hostCall, global) => ((data) => void) | undefined`: it defines the API
 * over `hostCall(op, args) → Promise` (usable once the run has started) and
 * may return a function that receives the run's data (see api-bootstrap.ts).
 */
export function coreBootstrap(install: string): string {
  return `(function (global, install) {
  'use strict';
  // No silent sinks and no shared-memory or wasm tricks: console goes nowhere
  // without an inspector, Atomics.wait would park the isolate thread.
  delete global.console;
  delete global.Atomics;
  delete global.SharedArrayBuffer;
  delete global.WebAssembly;

  // Captured before the script runs so that a script tampering with its own
  // built-ins cannot corrupt the protocol (it can only break its own run).
  const ErrorCtor = Error, TypeErrorCtor = TypeError, PromiseCtor = Promise;
  const stringify = JSON.stringify, parse = JSON.parse;
  const freeze = Object.freeze, keys = Object.keys, isFrozen = Object.isFrozen;
  const allSettled = Promise.allSettled.bind(Promise), arrayFrom = Array.from;
  const hostErrors = new WeakSet();
  const inflight = new Set();
  const applyOptions = { result: { promise: true } };
  let hostRef;
  let started = false;

  function deepFreeze(value) {
    if (value !== null && typeof value === 'object' && !isFrozen(value)) {
      freeze(value);
      for (const key of keys(value)) deepFreeze(value[key]);
    }
    return value;
  }

  function hostError(wire, site) {
    const err = new ErrorCtor(wire.message);
    err.name = 'ScadaLinkError';
    const details = deepFreeze(wire.details || {});
    // Details are also own properties (e.trackedOperationId) unless they would
    // shadow something an Error already has.
    for (const key of keys(details)) if (!(key in err)) err[key] = details[key];
    err.code = wire.code;
    err.details = details;
    // The reply arrives in a later job and has lost the caller's stack; the
    // stack captured when the call was made names the script's line.
    const at = typeof site.stack === 'string' ? site.stack.indexOf('\\n') : -1;
    if (at >= 0) err.stack = err.name + ': ' + err.message + site.stack.slice(at);
    hostErrors.add(err);
    return err;
  }

  function hostCall(op, args) {
    const site = new ErrorCtor();
    let argsJson;
    try {
      argsJson = stringify(args);
    } catch (e) {
      return PromiseCtor.reject(new TypeErrorCtor(op + ': arguments must be JSON values (' + e.message + ')'));
    }
    const reply = hostRef.apply(undefined, [op, argsJson], applyOptions).then(function (replyJson) {
      const r = parse(replyJson);
      if (r.ok) return r.value;
      throw hostError(r.error, site);
    });
    // A run ends only when the calls it started have settled (see invoke).
    const tracked = reply.then(function () {}, function () {});
    inflight.add(tracked);
    tracked.then(function () { inflight.delete(tracked); });
    return reply;
  }

  function describe(err) {
    try {
      if (hostErrors.has(err)) {
        return { host: true, code: err.code, details: err.details, name: err.name, message: err.message, stack: err.stack };
      }
      if (err !== null && typeof err === 'object' && typeof err.message === 'string') {
        return { host: false, name: String(err.name), message: err.message,
                 stack: typeof err.stack === 'string' ? err.stack : undefined };
      }
      return { host: false, name: 'Error', message: 'the script threw a non-error value: ' + String(err) };
    } catch (e) {
      return { host: false, name: 'Error', message: 'the script threw an unprintable value' };
    }
  }

  async function settleInflight() {
    while (inflight.size > 0) await allSettled(arrayFrom(inflight));
  }

  // Called by the compiled script before any of the author's code runs.
  async function invoke(body) {
    if (started) throw new TypeErrorCtor('a context runs one script');
    started = true;
    hostRef = global.${WIRE.hostEntry};
    const data = parse(global.${WIRE.runData});
    delete global.${WIRE.hostEntry};
    delete global.${WIRE.runData};
    if (typeof begin === 'function') begin(data);
    let outcome;
    try {
      const value = await body.call(global);
      try {
        outcome = value === undefined ? '{"ok":true}' : stringify({ ok: true, value: value });
      } catch (e) {
        outcome = stringify({ ok: false, error: { host: false, name: 'TypeError',
          message: 'the script returned a value that is not JSON: ' + e.message } });
      }
    } catch (err) {
      outcome = stringify({ ok: false, error: describe(err) });
      // The host hears at once that the run failed: what it started and did not await may be stopped.
      if (inflight.size > 0) hostRef.apply(undefined, ['${WIRE.threw}', '[]'], applyOptions).then(undefined, function () {});
    }
    await settleInflight();
    return outcome;
  }

  const begin = install(hostCall, global);
  Object.defineProperty(global, '${WIRE.invoke}', { value: invoke });
})(globalThis, ${install});
`;
}
