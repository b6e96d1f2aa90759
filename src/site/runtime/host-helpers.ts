// The pieces of a run's host calls that need no run state: tracking status,
// the payload limit's checks, and the audit of a synchronous call.
import {
  AuditKind,
  Channel,
  DeliveryError,
  OperationStatus,
  ScadaLinkError,
  type TrackedOperationId,
  isTrackedOperationId,
  uuidv7,
} from '../../commons/index.js';
import { ScriptErrorCode, type TrackingStatus, utf8SizeOver } from '../../scripts/index.js';
import type { AttemptRecord } from '../engine/engine.js';
import type { HostServices, RunContext } from './script-host.js';

export function trackingStatus(services: HostServices, id: string): TrackingStatus | null {
  if (!isTrackedOperationId(id)) return null;
  const s = services.store.status(id);
  if (!s) return null;
  return {
    TrackedOperationId: s.trackedOperationId,
    Status: s.status,
    RetryCount: s.retryCount,
    LastError: s.lastError,
    HttpStatus: s.httpStatus,
    CreatedAtUtc: s.createdAtUtc,
    UpdatedAtUtc: s.updatedAtUtc,
    TerminalAtUtc: s.terminalAtUtc,
  };
}

/**
 * Refuses a value a run hands to the site that is larger than the script payload limit (issue 10: a 20 MB
 * argument was written whole into a log line and an attribute), naming what was refused.
 */
export function checkSize(limitBytes: number, what: string, text: string): void {
  const sizeBytes = utf8SizeOver(text, limitBytes);
  if (sizeBytes === undefined) return;
  throw new ScadaLinkError(ScriptErrorCode.PayloadTooLarge, `the ${what} is ${sizeBytes} bytes; the limit is ${limitBytes}`, {
    details: { what, sizeBytes, limitBytes },
  });
}

/** A log line cut to its first `limitBytes` bytes (whole characters), followed by a note of its size. */
export function capLine(limitBytes: number, line: string): string {
  const sizeBytes = utf8SizeOver(line, limitBytes);
  if (sizeBytes === undefined) return line;
  // encodeInto writes whole characters only, so the cut never splits one.
  const { read } = new TextEncoder().encodeInto(line, new Uint8Array(limitBytes));
  return `${line.slice(0, read)}… [log line cut: ${sizeBytes} bytes; the limit is ${limitBytes}]`;
}

/** A failed call's outcome: transient when the error says the target may answer later, else permanent. */
export function attemptOutcome(err: unknown): AttemptRecord['outcome'] {
  return err instanceof DeliveryError && err.transient ? 'transient' : 'permanent';
}

/**
 * A synchronous call is audited as `ApiCall` (DESIGN §3.1). The script goes on
 * once the event is committed; a failure to record it is counted and logged,
 * never thrown (audit never breaks work).
 */
export async function recordApiCall(
  services: HostServices,
  run: RunContext,
  target: string,
  error: DeliveryError | undefined,
  httpStatus: number | null,
  durationMs: number,
): Promise<void> {
  const store = services.store;
  const event = {
    eventId: uuidv7(),
    trackedOperationId: null as TrackedOperationId | null,
    kind: AuditKind.ApiCall,
    status: error ? OperationStatus.Failed : OperationStatus.Delivered,
    channel: Channel.ApiOutbound,
    target,
    occurredAtUtc: new Date().toISOString(),
    actor: { type: 'script' as const, instance: run.instance, script: run.script },
    sourceNode: services.nodeName,
    error: error?.message ?? null,
    httpStatus,
    durationMs,
    operation: null,
  };
  await store.committer
    .run(() => store.outbox.append(event))
    .catch((err: unknown) => {
      store.counters.auditWriteFailures++;
      services.log('warn', run.instance, run.script, `audit of a synchronous call was not recorded: ${String(err)}`);
    });
}
