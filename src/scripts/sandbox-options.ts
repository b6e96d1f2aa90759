// What a sandbox is made with and what a run asks of it (sandbox.ts), and
// the sandbox's defaults.

import type { ComputeGate } from './compute-gate.js';
import type { ScriptSource } from './compile.js';
import type { JsonValue } from './protocol.js';
import type { HostEntry } from './wire.js';

export interface SandboxOptions {
  /** Heap limit of each isolate (minimum 8). */
  readonly memoryMb: number;
  /**
   * Source of a function expression `(hostCall, global) => ((data) => void) | undefined`
   * that installs the script-facing API into each isolate's context, once (see
   * isolate/core.ts). Default: none.
   */
  readonly install?: string;
  /**
   * Runs executing at once (one isolate each); more runs queue. Default 16
   * (DEFAULT_MAX_ISOLATES; docs/scripts.md says why), or warmIsolates if that
   * is more.
   */
  readonly maxIsolates?: number;
  /**
   * Isolates kept warm: created (with a prepared context) in the background
   * before any run needs them, reused run after run, and replaced in the
   * background when one is discarded after a timeout, a memory-limit kill or
   * a catastrophic error. At most maxIsolates. Default 8 (see docs/scripts.md
   * for the memory each costs).
   */
  readonly warmIsolates?: number;
  /**
   * Isolates created beyond warmIsolates under a burst are disposed after
   * this long without a run (ms). Default 30 000.
   */
  readonly surplusIdleMs?: number;
  /** Distinct sources whose compiled form is cached. Default 1000 (host), 200 per isolate. */
  readonly compileCacheSize?: number;
  readonly scriptsPerIsolate?: number;
  /**
   * Largest JSON a run takes as its data (the script's parameters) or gives
   * back as its value, in bytes. Default 256 KiB: a run's arguments are
   * copied into its isolate, so unbounded ones cost the node's memory.
   */
  readonly maxPayloadBytes?: number;
  /**
   * Limits how many runs start computing at once (compute-gate.ts); a node
   * passes processComputeGate() so that all its sandboxes share the cores.
   * Default: none (runs start as soon as they have an isolate).
   */
  readonly computeGate?: ComputeGate;
  /** See isolated-vm: V8 lost control of an isolate; the process should be ended. */
  readonly onCatastrophicError?: (message: string) => void;
}

export interface RunRequest extends ScriptSource {
  /**
   * Wall-clock limit from the moment the script starts (after an isolate is
   * leased). Covers synchronous loops and awaiting host calls alike.
   */
  readonly timeoutMs: number;
  /** JSON handed to the function `install` returned (the script API takes `{ parameters }`). */
  readonly data?: JsonValue;
  /** Serves the run's host calls. Called on the Node thread; may be async. */
  readonly host: HostEntry;
  /**
   * Aborting it ends the run as a timeout does (its isolate is disposed and
   * replaced) but the run rejects with SCRIPT_CANCELLED. A run still waiting
   * for an isolate leaves the queue; an already aborted signal runs nothing.
   */
  readonly signal?: AbortSignal;
  /**
   * Called when the script's body threw while host calls it did not await are
   * still in flight (the run settles only once they have): the host may stop
   * what those calls started.
   */
  readonly onScriptThrew?: () => void;
  /**
   * Who the run is fair to (fair-queue.ts): runs waiting for an isolate are
   * admitted round-robin across keys. Default '' (one shared key).
   */
  readonly fairKey?: string;
  /** A run started by a run that is executing: admitted before new runs of its key. */
  readonly nested?: boolean;
}

/**
 * Timers: the isolate has none (no setTimeout/setInterval). A script's waiting
 * is waiting on the host; retries and delays belong to store-and-forward, and
 * without timers nothing a script schedules can outlive its run.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 262_144;

/**
 * Runs at once by default, per sandbox. A run costs tens of microseconds of
 * CPU, so more isolates only help runs that wait on I/O; many isolates busy
 * at once cost CPU per run (measured for a trivial run at 64 callers on 2
 * cores: 190 µs with 8, 219 µs with 16, 415 µs with 64; bench/README.md).
 */
export const DEFAULT_MAX_ISOLATES = 16;

/** Warm isolates by default: enough for a 2-core node's steady concurrency without holding much memory idle. */
export const DEFAULT_WARM_ISOLATES = 8;

/** See ScriptSandbox.startStats. */
export interface StartStats {
  readonly onNodeThread: number;
  readonly onIsolateThread: number;
  readonly cut: number;
}

