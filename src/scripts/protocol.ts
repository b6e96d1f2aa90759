// The typed message protocol between an isolate and the host (STYLE §7).
//
// Only strings cross the boundary: the isolate sends `(op, argsJson)` to the one
// host entry and gets a `HostReply` JSON string back; a run ends with a
// `RunOutcome` JSON string. JSON (not structured clone) is the contract so that
// what a script sees is exactly what a JSON-speaking host (HTTP, SQL, gRPC)
// could have produced, and nothing with a prototype or a getter ever crosses.

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type JsonObject = { readonly [key: string]: JsonValue };

/** The error a host call fails with, as the isolate receives it. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details: JsonObject;
}

/** Reply of the host entry to one `(op, argsJson)` call from the isolate. */
export type HostReply =
  | { readonly ok: true; readonly value?: JsonValue }
  | { readonly ok: false; readonly error: WireError };

/** What a thrown value looked like inside the isolate. */
export interface ThrownDescription {
  /** True when the value is an error the host sent (its code and details are trusted). */
  readonly host: boolean;
  readonly code?: string;
  readonly details?: JsonObject;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/**
 * The final message of a run, produced by the isolate-side run function.
 * `tainted`: the run left something on the global object that could not be
 * removed, so its isolate must be discarded. `retry`: the run did not start
 * because the context was not clean; run it on another isolate. `slow`: the
 * run's first stretch (to its first await or its end) took more than 1 ms.
 */
export type RunOutcome =
  | { readonly ok: true; readonly value?: JsonValue; readonly tainted?: true; readonly slow?: true }
  | { readonly ok: false; readonly error: ThrownDescription; readonly tainted?: true; readonly slow?: true }
  | { readonly retry: true; readonly elapsedMs?: number };

/**
 * Names the isolate-side core bootstrap and the wrapped script agree on.
 * `hostEntry` is a global only from the host setting it to the core bootstrap
 * capturing and deleting it; `invoke` is the registration function a compiled
 * script calls with its body (see isolate/core.ts).
 */
export const WIRE = {
  hostEntry: '__scadalink_host',
  invoke: '__scadalink_invoke',
  /**
   * The op the core sends the host entry when the script's body threw while
   * host calls it did not await are still in flight (see RunRequest.onScriptThrew).
   */
  threw: '__scadalink_threw',
} as const;

/** Stable error codes of the sandbox (STYLE §5). */
export const ScriptErrorCode = {
  /** The run exceeded its wall-clock timeout; its isolate was disposed. */
  Timeout: 'SCRIPT_TIMEOUT',
  /** The isolate exceeded its memory limit; it was disposed. */
  Memory: 'SCRIPT_MEMORY',
  /** The script threw (or rejected with) something that did not come from the host. */
  Error: 'SCRIPT_ERROR',
  /** The source does not compile (syntax error, `import`/`export`, TS syntax error). */
  Compile: 'SCRIPT_COMPILE',
  /** A host call arrived after its run had ended (an un-awaited call); the host never saw it. */
  Ended: 'SCRIPT_ENDED',
  /** The run was cancelled through its request's signal (e.g. the run that started it ended); its isolate was disposed. */
  Cancelled: 'SCRIPT_CANCELLED',
  /** The sandbox was disposed. */
  Disposed: 'SCRIPT_SANDBOX_DISPOSED',
  /** A run's arguments or its return value, as JSON, exceed the sandbox's payload limit. */
  PayloadTooLarge: 'SCRIPT_PAYLOAD_TOO_LARGE',
  /** A host call failed with something that is not a ScadaLinkError. */
  Host: 'HOST_ERROR',
} as const;
export type ScriptErrorCode = (typeof ScriptErrorCode)[keyof typeof ScriptErrorCode];
