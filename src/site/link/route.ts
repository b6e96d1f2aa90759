// Route.To at the site (issue 11 point 5; proto RouteCall, GetAttributes,
// SetAttributes): central's scripts call an instance's script or read and
// write its attributes over the site stream. A call runs as a call-triggered
// run, the same path and payload limit as the admin API's
// POST /instances/:i/scripts/:s/call, bounded by the time the caller has left.
//
// What leaves the site is safe to show to whoever called central: a stable
// code and a message of ours, or the script's own message for an error the
// script threw; never a stack, a file path, or an integration's error text
// (an uncaught database error may quote SQL). The full error is in the site's
// event log and process log as for any failed run.
import { ScadaLinkError } from '../../commons/index.js';
import { type JsonObject, type JsonValue, ScriptErrorCode, utf8SizeOver } from '../../scripts/index.js';
import type { SiteCommand, SiteCommandReply } from '../../transport/index.js';
import type { SiteRuntime } from '../runtime/site-runtime.js';

type Reply = Omit<SiteCommandReply, 'correlationId'>;

/** Longest error message a routed call answers with; a script's own message beyond it is cut. */
export const MAX_ROUTE_MESSAGE = 1_000;

/** Failures of a run whose code and message are passed on as they are (each message is ours or the script's own). */
const PASSED_ON: ReadonlySet<string> = new Set([
  ScriptErrorCode.Error,
  ScriptErrorCode.Timeout,
  ScriptErrorCode.PayloadTooLarge,
  'SITE_STOPPING',
]);

/** The reply to a Route.To command, or undefined when the command is another kind. */
export function routeCommand(runtime: SiteRuntime, command: SiteCommand): Promise<Reply> | undefined {
  if (command.routeCall) {
    const { instance, script, paramsJson, timeoutMs } = command.routeCall;
    return call(runtime, instance, script, paramsJson, timeoutMs);
  }
  if (command.getAttributes) {
    const { instance, names } = command.getAttributes;
    return Promise.resolve().then(() => ({ ok: true, attributes: { valuesJson: JSON.stringify(runtime.getAttributes(instance, names)) } }));
  }
  if (command.setAttributes) {
    const { instance, valuesJson } = command.setAttributes;
    return setAttributes(runtime, instance, valuesJson);
  }
  return undefined;
}

async function call(runtime: SiteRuntime, instance: string, script: string, paramsJson: string, timeoutMs: number): Promise<Reply> {
  const params = parseObject(runtime, paramsJson || '{}', "the script's parameters");
  if (!(timeoutMs > 0)) throw new ScadaLinkError('INVALID_REQUEST', 'timeout_ms must be a positive number of milliseconds');
  // The lookups (UNKNOWN_INSTANCE, UNKNOWN_SCRIPT, SCRIPT_NOT_CALLABLE) throw before the run starts; their messages are ours.
  const run = runtime.callScript(instance, script, params as JsonObject, timeoutMs);
  let value: JsonValue;
  try {
    value = await run;
  } catch (err) {
    throw safeRunError(instance, script, err);
  }
  return { ok: true, routeResult: { valueJson: JSON.stringify(value ?? null) } };
}

async function setAttributes(runtime: SiteRuntime, instance: string, valuesJson: string): Promise<Reply> {
  const values = parseObject(runtime, valuesJson, 'the attribute values');
  await runtime.setAttributes(instance, values as Record<string, JsonValue>);
  return { ok: true };
}

/** A JSON object from central, held to the script payload limit before it is parsed. */
function parseObject(runtime: SiteRuntime, json: string, what: string): Record<string, unknown> {
  const limitBytes = runtime.payloadLimitBytes;
  const sizeBytes = utf8SizeOver(json, limitBytes);
  if (sizeBytes !== undefined) {
    throw new ScadaLinkError(ScriptErrorCode.PayloadTooLarge, `${what} are ${sizeBytes} bytes of JSON; the limit is ${limitBytes}`, {
      details: { sizeBytes, limitBytes },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ScadaLinkError('INVALID_REQUEST', `${what} are not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ScadaLinkError('INVALID_REQUEST', `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The failure of a run as the caller may see it: its own code and message where they are safe, else SCRIPT_ERROR naming the code. */
function safeRunError(instance: string, script: string, err: unknown): ScadaLinkError {
  const code = err instanceof ScadaLinkError ? err.code : ScriptErrorCode.Error;
  if (err instanceof ScadaLinkError && PASSED_ON.has(code)) return new ScadaLinkError(code, cut(err.message));
  return new ScadaLinkError(ScriptErrorCode.Error, `script ${instance}.${script} failed with ${code} (the site's event log has the details)`);
}

function cut(message: string): string {
  return message.length <= MAX_ROUTE_MESSAGE ? message : `${message.slice(0, MAX_ROUTE_MESSAGE)}…`;
}
