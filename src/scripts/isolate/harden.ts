// Isolate-side hardening of a reused context (JavaScript text, see core.ts).
//
// Every run on an isolate shares its one context, so nothing a run can reach
// may keep a change. After the API is installed, every object reachable from
// the global object or from the hidden intrinsics (prototypes of async and
// generator functions, the iterator prototypes, %TypedArray%, ...) is frozen,
// along with the getters and setters of accessors, and the global object's own
// properties are made non-writable and non-configurable. What a run adds to
// the global object itself is deleted when it ends (core.ts).
//
// Four objects stay writable for the run that changes them, because scripts
// (and the containment tests) patch them: Object.prototype, Array.prototype,
// Function.prototype and JSON. They are left exactly as the engine made them
// (changing their attributes would put them in the engine's slow dictionary
// mode); `resetBuiltins`, run before every run, compares each of their
// properties with the state after hardening, puts back what differs, deletes
// what was added, and reports false when something cannot be put back (the
// host then discards the isolate and runs the script on another).
//
// Frozen prototypes have one cost in ordinary code, the "override mistake":
// `this.name = 'MyError'` in an Error subclass would fail because `name` is a
// read-only property of the frozen Error.prototype. The properties of the
// error prototypes that code overrides by assignment (name, message,
// constructor, toString) are therefore turned into accessors whose setter
// defines an own property on the receiver (as SES's "moderate" override
// taming does).

/**
 * Source of `harden(global)`, a function expression that hardens the realm it
 * runs in and returns `{ baseline, resetBuiltins }`: the global's own keys
 * after hardening (what a run's leftovers are measured against) and the reset
 * of the four writable built-ins.
 */
export const HARDEN_SOURCE = `function (global) {
  'use strict';
  const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty, hasOwn } = Object;
  const ownKeys = Reflect.ownKeys, TypeErrorCtor = TypeError;

  // RegExp's legacy statics (RegExp.$1, lastMatch, input, ...) hold the last
  // match of the whole context: one run could read another's.
  for (const k of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&',
                   'lastParen', '$+', 'leftContext', '$\`', 'rightContext', "$'"]) {
    if (!Reflect.deleteProperty(RegExp, k)) throw new TypeErrorCtor('cannot remove RegExp.' + k);
  }

  function tame(obj, prop) {
    const desc = getOwnPropertyDescriptor(obj, prop);
    if (desc === undefined || !('value' in desc)) return;
    const value = desc.value;
    defineProperty(obj, prop, {
      get: function () { return value; },
      set: function (v) {
        if (this === obj) throw new TypeErrorCtor('Cannot assign to read only property ' + String(prop) + ' of a built-in prototype');
        if (hasOwn(this, prop)) this[prop] = v;
        else defineProperty(this, prop, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: desc.enumerable,
      configurable: false,
    });
  }
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
    for (const p of ['constructor', 'name', 'message', 'toString']) tame(E.prototype, p);
  }

  const roots = [
    global,
    getPrototypeOf(async function () {}),
    getPrototypeOf(function* () {}),
    getPrototypeOf(async function* () {}),
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(new Map().entries()),
    getPrototypeOf(new Set().values()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/a/[Symbol.matchAll]('')),
    getPrototypeOf(Int8Array),
  ];
  if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('');
    roots.push(getPrototypeOf(segments), getPrototypeOf(segments[Symbol.iterator]()));
  }
  const writable = [Object.prototype, Array.prototype, Function.prototype, JSON];
  const seen = new Set();
  const todo = [];
  const visit = (v) => {
    if ((typeof v === 'object' && v !== null) || typeof v === 'function') {
      if (!seen.has(v)) { seen.add(v); todo.push(v); }
    }
  };
  roots.forEach(visit);
  while (todo.length > 0) {
    const obj = todo.pop();
    for (const key of ownKeys(obj)) {
      const desc = getOwnPropertyDescriptor(obj, key);
      visit(desc.value);
      visit(desc.get);
      visit(desc.set);
    }
    visit(getPrototypeOf(obj));
    if (obj !== global && !writable.includes(obj)) freeze(obj);
  }

  // Snapshot descriptors have no prototype: restoring one (defineProperty reads
  // get, set, value... through the prototype chain) must not see what a run put
  // on Object.prototype.
  function bare(desc) {
    const out = { __proto__: null };
    for (const k of ownKeys(desc)) out[k] = desc[k];
    return out;
  }
  const snapshots = writable.map((obj) => {
    const keys = ownKeys(obj);
    const descs = keys.map((key) => bare(getOwnPropertyDescriptor(obj, key)));
    return { obj, keys, keySet: new Set(keys), descs, proto: getPrototypeOf(obj) };
  });
  const isExtensible = Object.isExtensible, deleteProperty = Reflect.deleteProperty;
  const defineOwn = Reflect.defineProperty, setPrototypeOf = Reflect.setPrototypeOf;
  // Own properties of the current descriptor only: a missing one would be read
  // from Object.prototype, where a run may have left a getter.
  function sameDesc(a, b) {
    if (a === undefined || a.enumerable !== b.enumerable || a.configurable !== b.configurable) return false;
    return 'value' in b
      ? hasOwn(a, 'value') && a.value === b.value && a.writable === b.writable
      : hasOwn(a, 'get') && a.get === b.get && a.set === b.set;
  }
  // Reads descriptors only, and calls no method of the four writable objects
  // (Set and Reflect are frozen): no code a run left behind runs here.
  function resetBuiltins() {
    let clean = true;
    for (let j = 0; j < snapshots.length; j++) {
      const s = snapshots[j], obj = s.obj, keys = s.keys, descs = s.descs;
      if (!isExtensible(obj)) clean = false;
      if (getPrototypeOf(obj) !== s.proto && !setPrototypeOf(obj, s.proto)) clean = false;
      let now = ownKeys(obj);
      let changed = now.length !== keys.length;
      for (let i = 0; i < keys.length; i++) {
        if (sameDesc(getOwnPropertyDescriptor(obj, keys[i]), descs[i])) continue;
        changed = true;
        if (!defineOwn(obj, keys[i], descs[i])) clean = false;
      }
      if (!changed) continue;
      // Every original key is there again, so a longer list means additions.
      now = ownKeys(obj);
      if (now.length === keys.length) continue;
      for (let i = 0; i < now.length; i++) {
        if (!s.keySet.has(now[i]) && !deleteProperty(obj, now[i])) clean = false;
      }
    }
    return clean;
  }

  for (const key of ownKeys(global)) {
    const desc = getOwnPropertyDescriptor(global, key);
    defineProperty(global, key, 'value' in desc ? { writable: false, configurable: false } : { configurable: false });
  }
  return { baseline: ownKeys(global), resetBuiltins: resetBuiltins };
}`;
