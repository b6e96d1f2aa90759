// Isolate-side code (STYLE §7: sandbox-safe code lives apart from Node-only
// code). Everything in this folder is JavaScript text that runs INSIDE the
// isolate: it must not reference Node, and it is plain ES2022 rather than
// TypeScript compiled by the test runner, whose helpers would not exist there.

import { ScriptErrorCode, WIRE } from '../protocol.js';
import { HARDEN_SOURCE } from './harden.js';

/** How the host calls the core's entry (see the end of coreBootstrap). */
export const EntryMode = { Run: 0, Start: 1, Take: 2, Wait: 3 } as const;

/**
 * A run whose first stretch (to the body's first await, or its end) took at
 * least this long (ms, Date.now granularity: more than 1 ms) reports
 * `slow` in its outcome; the host then starts its script's runs on the
 * isolate's thread (sandbox.ts).
 */
export const SLOW_STRETCH_MS = 2;

/**
 * The generic core, run ONCE in the one context of each isolate, before any
 * run (the pool prepares it in the background). It removes the few built-ins
 * a script has no use for, installs the API through `install`, hardens the
 * realm (harden.ts) and evaluates to the entry the host calls for every run
 * on this isolate: `entry(mode, scriptId, token, dataJson, evictId)` (EntryMode).
 *
 * The host reference, `(token, op, argsJson) → Promise<replyJson>`, is set as
 * a global by the host before the core runs; the core captures and deletes it.
 *
 * A compiled script, run once per isolate, calls the registration global
 * (WIRE.invoke) with its body as an async function; registration returns the
 * id `run` takes. A run: puts back the built-ins runs may change and checks
 * the global object is as the last run left it after clean-up (else asks the
 * host to retry on another isolate), makes the
 * run current (its token is what its host calls carry), hands the data to the
 * API, runs the body, waits for the host calls the run started, ends the run
 * (from then on its hostCall refuses synchronously, so no code of an ended run
 * reaches the host) and deletes what the run added to the global object.
 *
 * `install` is the source of a function expression
 * `(hostCall, global) => ((data) => void) | undefined`: it defines the API
 * over `hostCall(op, args) → Promise` (usable during a run) and may return a
 * function that receives each run's data (see api-bootstrap.ts).
 */
export function coreBootstrap(install: string): string {
  return `(function (global, install, harden) {
  'use strict';
  // No silent sinks and no shared-memory or wasm tricks: console goes nowhere
  // without an inspector, Atomics.wait would park the isolate thread. Weak
  // references and finalizers would run one run's code during a later one.
  delete global.console;
  delete global.Atomics;
  delete global.SharedArrayBuffer;
  delete global.WebAssembly;
  delete global.WeakRef;
  delete global.FinalizationRegistry;

  const hostRef = global.${WIRE.hostEntry};
  delete global.${WIRE.hostEntry};
  const ErrorCtor = Error, TypeErrorCtor = TypeError, PromiseCtor = Promise;
  const stringify = JSON.stringify, parse = JSON.parse;
  const freeze = Object.freeze, keys = Object.keys, isFrozen = Object.isFrozen;
  const isExtensible = Object.isExtensible, getPrototypeOf = Object.getPrototypeOf;
  const ownKeys = Reflect.ownKeys, deleteProperty = Reflect.deleteProperty;
  const allSettled = Promise.allSettled.bind(Promise), arrayFrom = Array.from, dateNow = Date.now;
  const hostErrors = new WeakSet();
  const factories = new Map();
  const applyOptions = { result: { promise: true } };
  let nextId = 1;
  let current; // the run in progress, or the last one (then inactive)

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
    const run = current;
    if (run === undefined || !run.active) {
      return PromiseCtor.reject(hostError({ code: '${ScriptErrorCode.Ended}', message: 'the run this call belongs to has ended', details: {} }, site));
    }
    let argsJson;
    try {
      argsJson = stringify(args);
    } catch (e) {
      return PromiseCtor.reject(new TypeErrorCtor(op + ': arguments must be JSON values (' + e.message + ')'));
    }
    const reply = hostRef.apply(undefined, [run.token, op, argsJson], applyOptions).then(function (replyJson) {
      const r = parse(replyJson);
      if (r.ok) return r.value;
      throw hostError(r.error, site);
    });
    // A run ends only when the calls it started have settled (see run).
    const tracked = reply.then(function () {}, function () {});
    run.inflight.add(tracked);
    tracked.then(function () { run.inflight.delete(tracked); });
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

  async function settleInflight(run) {
    while (run.inflight.size > 0) await allSettled(arrayFrom(run.inflight));
  }

  // Registration: the compiled script calls this first thing with its body.
  function register(body) {
    if (current !== undefined && current.active) throw new TypeErrorCtor('a context runs one script');
    if (typeof body !== 'function') throw new TypeErrorCtor('a script registers a function');
    const id = nextId++;
    factories.set(id, body);
    return id;
  }

  const begin = install(hostCall, global);
  Object.defineProperty(global, '${WIRE.invoke}', { value: register });
  const hardened = harden(global);
  const baseline = new Set(hardened.baseline), baselineSize = baseline.size, resetBuiltins = hardened.resetBuiltins;
  const baseProto = getPrototypeOf(global);

  // Deletes what is not part of the global's baseline; false when something stays.
  function resetGlobals() {
    let clean = isExtensible(global) && getPrototypeOf(global) === baseProto;
    const now = ownKeys(global);
    // The baseline's keys are all non-configurable (harden.ts): none can be gone, so as many keys means nothing added.
    if (now.length === baselineSize) return clean;
    for (let i = 0; i < now.length; i++) {
      if (!baseline.has(now[i]) && !deleteProperty(global, now[i])) clean = false;
    }
    return clean;
  }

  async function run(id, token, dataJson, evictId) {
    if (evictId > 0) factories.delete(evictId);
    // The writable built-ins are put back here, once per run, and the global
    // checked again: code of an ended run that was still queued may have run
    // since its clean-up.
    if (!(resetBuiltins() && resetGlobals())) return '{"retry":true}';
    const body = factories.get(id);
    if (body === undefined) throw new TypeErrorCtor('no script registered as ' + id);
    const run = { token: token, active: true, inflight: new Set() };
    current = run;
    let outcome;
    let slow = false;
    try {
      // The first stretch (to the body's first await or its end) is timed: the host runs it on its own thread only for scripts whose first stretches are short.
      const t0 = dateNow();
      if (typeof begin === 'function') begin(parse(dataJson));
      const pending = body.call(global);
      slow = dateNow() - t0 >= ${SLOW_STRETCH_MS};
      const value = await pending;
      try {
        outcome = value === undefined ? '{"ok":true}' : stringify({ ok: true, value: value });
      } catch (e) {
        outcome = stringify({ ok: false, error: { host: false, name: 'TypeError',
          message: 'the script returned a value that is not JSON: ' + e.message } });
      }
    } catch (err) {
      outcome = stringify({ ok: false, error: describe(err) });
      // The host hears at once that the run failed: what it started and did not await may be stopped.
      if (run.inflight.size > 0) hostRef.apply(undefined, [run.token, '${WIRE.threw}', '[]'], applyOptions).then(undefined, function () {});
    }
    await settleInflight(run);
    run.active = false;
    if (slow) outcome = outcome.slice(0, -1) + ',"slow":true}';
    // Something the run left on the global object cannot be removed: the host discards the isolate.
    return resetGlobals() ? outcome : outcome.slice(0, -1) + ',"tainted":true}';
  }

  // The run started last by START (the host's thread), for TAKE and WAIT.
  let started;
  // The entry the host calls for every run: RUN (on the isolate's thread) resolves to the
  // outcome; START begins a run and returns nothing (its first stretch runs within the call);
  // TAKE, right after, returns its outcome if it settled in that call; WAIT resolves to it.
  return function entry(mode, id, token, dataJson, evictId) {
    if (mode === ${EntryMode.Run}) return run(id, token, dataJson, evictId);
    if (mode === ${EntryMode.Start}) {
      const s = { token: token, outcome: undefined, promise: undefined };
      started = s;
      s.promise = run(id, token, dataJson, evictId);
      s.promise.then(function (outcome) { s.outcome = outcome; }, function () {});
      return undefined;
    }
    const s = started;
    if (s === undefined || s.token !== token) throw new TypeErrorCtor('no run ' + token + ' was started');
    if (mode === ${EntryMode.Take}) return s.outcome;
    started = undefined;
    return s.promise;
  };
})(globalThis, ${install}, ${HARDEN_SOURCE});
`;
}
