// What a run started from outside (a call, a trigger) shares with every run it
// starts through Scripts.Call, however deep (issue 10 point 6): one deadline,
// one budget of nested calls and of operations submitted, and cancellation
// that flows down — a run that ends (returns, throws, times out, is killed)
// takes the runs it started with it.
import { setMaxListeners } from 'node:events';
import { ScadaLinkError } from '../../commons/index.js';
import { ScriptErrorCode } from '../../scripts/index.js';

/** Error codes of the per-run limits (docs/scripts.md). */
export const RunLimitCode = {
  /** A Scripts.Call beyond the root run's nested-call limits (in flight at once, or in all). */
  CallLimit: 'SCRIPT_CALL_LIMIT',
  /** A CachedCall, CachedWrite or Notify.Send beyond the root run's operation limit; nothing recorded. */
  OperationLimit: 'SCRIPT_OPERATION_LIMIT',
} as const;

export interface RunLimits {
  /** Scripts.Call a root run and its nested runs may make in all. */
  readonly maxNestedCalls: number;
  /** Scripts.Call of a root run and its nested runs in flight at once. */
  readonly maxConcurrentNested: number;
  /** CachedCall, CachedWrite and Notify.Send a root run and its nested runs may submit. */
  readonly maxOperations: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { maxNestedCalls: 100, maxConcurrentNested: 8, maxOperations: 1000 };

/** The budget and deadline one root run and all its nested runs share. */
class RunTree {
  readonly deadline: number;
  private nestedCalls = 0;
  private nestedInFlight = 0;
  private operations = 0;

  constructor(
    readonly limits: RunLimits,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
  }

  /** Takes one Scripts.Call from the budget, or throws SCRIPT_CALL_LIMIT; returns what gives its in-flight place back. */
  startNested(): () => void {
    const { maxNestedCalls, maxConcurrentNested } = this.limits;
    if (this.nestedCalls >= maxNestedCalls) {
      throw limitError(RunLimitCode.CallLimit, `this run and the runs it started already made ${maxNestedCalls} Scripts.Call, the most one run may (--script-max-nested-calls)`, 'maxNestedCalls', maxNestedCalls);
    }
    if (this.nestedInFlight >= maxConcurrentNested) {
      throw limitError(RunLimitCode.CallLimit, `this run and the runs it started already have ${maxConcurrentNested} Scripts.Call in flight, the most one run may (--script-max-concurrent-nested)`, 'maxConcurrentNested', maxConcurrentNested);
    }
    this.nestedCalls++;
    this.nestedInFlight++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.nestedInFlight--;
    };
  }

  /** Takes one operation from the budget, or throws SCRIPT_OPERATION_LIMIT (before anything is recorded). */
  operation(): void {
    const max = this.limits.maxOperations;
    if (this.operations >= max) {
      throw limitError(RunLimitCode.OperationLimit, `this run and the runs it started already submitted ${max} operations (CachedCall, CachedWrite, Notify.Send), the most one run may (--script-max-operations); nothing was recorded`, 'maxOperations', max);
    }
    this.operations++;
  }
}

function limitError(code: string, message: string, limit: string, value: number): ScadaLinkError {
  return new ScadaLinkError(code, message, { details: { limit, value } });
}

/**
 * One run in a tree: its place in the nesting, the signal that cancels it
 * (its caller's), and the signal it hands the runs it starts, which is
 * aborted when it ends, when its body throws, or when it is cancelled itself.
 */
/** Why nested runs are cancelled: the run that started them is over. */
const RUN_OVER = new ScadaLinkError(ScriptErrorCode.Cancelled, 'the run that started this one is over');

export class RunScope {
  /** Made when the run starts its first nested run: most runs start none, and a controller per run costs. */
  private controller: AbortController | undefined;
  /** The run ended, its body threw, or it was cancelled: it starts no more runs. */
  private over = false;
  private readonly unlink: () => void;

  private constructor(
    private readonly tree: RunTree,
    readonly depth: number,
    /** Cancels this run: aborted when the run that started it ends (undefined for a root run). */
    readonly signal: AbortSignal | undefined,
  ) {
    if (signal === undefined) {
      this.unlink = () => undefined;
    } else if (signal.aborted) {
      this.over = true;
      this.unlink = () => undefined;
    } else {
      const cancel = () => this.stop();
      signal.addEventListener('abort', cancel, { once: true });
      this.unlink = () => signal.removeEventListener('abort', cancel);
    }
  }

  /** The signal this run hands the runs it starts. */
  private childSignal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Each nested run in flight listens twice (its scope, its sandbox run); the call limits bound how many.
      setMaxListeners(0, this.controller.signal);
    }
    return this.controller.signal;
  }

  /**
   * Cancels every run this one started. The reason is given: without one,
   * abort() builds a DOMException with a stack trace, every run.
   */
  private stop(): void {
    this.over = true;
    this.controller?.abort(RUN_OVER);
  }

  /** The scope of a run started from outside: its own timeout is the tree's. */
  static root(limits: RunLimits, timeoutMs: number): RunScope {
    return new RunScope(new RunTree(limits, timeoutMs), 0, undefined);
  }

  /**
   * A run this one starts through Scripts.Call, with the timeout it gets: its
   * own, cut to what is left of the root run's. Throws SCRIPT_CANCELLED once
   * this run has ended (or its body threw), SCRIPT_CALL_LIMIT beyond the
   * tree's call limits and SCRIPT_TIMEOUT once the root's time is spent.
   * `done` gives its in-flight place back and must be called when the nested
   * run settles.
   */
  nested(ownTimeoutMs: number): { scope: RunScope; timeoutMs: number; done: () => void } {
    if (this.over) {
      throw new ScadaLinkError(ScriptErrorCode.Cancelled, 'Scripts.Call after the calling run ended or failed: no new run starts');
    }
    const remaining = this.tree.deadline - Date.now();
    if (remaining <= 0) {
      throw new ScadaLinkError(ScriptErrorCode.Timeout, "Scripts.Call with no time left of the root run's timeout", { details: { timeoutMs: 0 } });
    }
    const done = this.tree.startNested();
    return { scope: new RunScope(this.tree, this.depth + 1, this.childSignal()), timeoutMs: Math.min(ownTimeoutMs, remaining), done };
  }

  /** Counts one operation submitted by this run against the tree's limit (see RunTree.operation). */
  operation(): void {
    this.tree.operation();
  }

  /** The run's body threw: every run it started (transitively) is cancelled, and it starts no more. */
  cancelNested(): void {
    this.stop();
  }

  /** The run ended: every run it started (transitively) is cancelled. */
  end(): void {
    this.unlink();
    this.stop();
  }
}
