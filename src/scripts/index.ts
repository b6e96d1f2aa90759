// Public surface of src/scripts (STYLE §1).
export {
  ScriptRuntime,
  defineScriptHost,
  SCRIPT_BAD_CALL,
  type ScriptHost,
  type ScriptHostHandlers,
  type ScriptRunRequest,
  type ScriptRuntimeOptions,
} from './api.js';
export {
  type HostOps,
  type HostOp,
  type HostArgs,
  type HostResult,
  type HostCall,
  type HandleId,
  type SqlParams,
  type LogLevel,
  type TrackingStatus,
  type TrackedOperationIdString,
  HOST_OP_SIGNATURES,
  isHostOp,
  checkHostArgs,
} from './host-ops.js';
export {
  ScriptSandbox,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_WARM_ISOLATES,
  DEFAULT_MAX_ISOLATES,
  type SandboxOptions,
  type RunRequest,
  type StartStats,
} from './sandbox.js';
export { FAST_RUNS, NODE_THREAD_LIMIT_MS } from './pace.js';
export type { IsolatePoolStats } from './isolate-pool.js';
export { FairQueue } from './fair-queue.js';
export { ComputeGate, processComputeGate, type ComputePass } from './compute-gate.js';
export { type HostEntry, utf8SizeOver } from './wire.js';
export { ScriptCompiler, loadTypeScript, wrapScript, type ScriptLanguage, type ScriptSource } from './compile.js';
export { ScriptErrorCode, type JsonValue, type JsonObject } from './protocol.js';
