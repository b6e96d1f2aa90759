// Host side of the message protocol (protocol.ts): answering host calls and
// turning a run's outcome into a value or a ScadaLinkError.

import { DeliveryError, ScadaLinkError } from '../commons/index.js';
import type { CompiledScript } from './compile.js';
import {
  ScriptErrorCode,
  type HostReply,
  type JsonObject,
  type JsonValue,
  type RunOutcome,
  type WireError,
} from './protocol.js';

/** The one host entry a run's isolate may call. `args` is always a parsed JSON array. */
export type HostEntry = (op: string, args: readonly unknown[]) => Promise<unknown>;

function toWireError(err: unknown): WireError {
  if (!(err instanceof ScadaLinkError)) {
    return { code: ScriptErrorCode.Host, message: err instanceof Error ? err.message : String(err), details: {} };
  }
  const details: Record<string, unknown> = { ...err.details };
  if (err instanceof DeliveryError) {
    details['classification'] ??= err.classification;
    if (err.httpStatus !== undefined) details['httpStatus'] ??= err.httpStatus;
  }
  return { code: err.code, message: err.message, details: details as JsonObject };
}

function encodeError(err: unknown): string {
  const error = toWireError(err);
  try {
    return JSON.stringify({ ok: false, error } satisfies HostReply);
  } catch {
    // Details that are not JSON are dropped rather than failing the reply.
    return JSON.stringify({ ok: false, error: { ...error, details: {} } } satisfies HostReply);
  }
}

/** Runs one host call and encodes its reply; never rejects. */
export async function answerHostCall(host: HostEntry, op: unknown, argsJson: unknown): Promise<string> {
  try {
    if (typeof op !== 'string' || typeof argsJson !== 'string') {
      throw new ScadaLinkError(ScriptErrorCode.Host, 'malformed host call');
    }
    const args: unknown = JSON.parse(argsJson);
    if (!Array.isArray(args)) throw new ScadaLinkError(ScriptErrorCode.Host, 'host call arguments must be an array');
    const value = await host(op, args);
    if (value === undefined) return '{"ok":true}';
    try {
      return JSON.stringify({ ok: true, value: value as JsonValue } satisfies HostReply);
    } catch (err) {
      throw new ScadaLinkError(ScriptErrorCode.Host, `${op} returned a value that is not JSON`, { cause: err });
    }
  } catch (err) {
    return encodeError(err);
  }
}

export interface ScriptLocation {
  readonly line?: number;
  readonly column?: number;
  /** The error's stack with only the script's own frames, in the author's coordinates. */
  readonly scriptStack?: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Keeps the script's frames of a stack (the bootstrap's are noise) and maps TS positions. */
export function locate(stack: string | undefined, compiled: CompiledScript): ScriptLocation {
  if (stack === undefined) return {};
  const at = new RegExp(`${escapeRegExp(compiled.filename)}:(\\d+):(\\d+)`, 'g');
  let first: { line: number; column: number } | undefined;
  const lines = stack.split('\n');
  const frames = lines.slice(1).filter((l) => l.includes(compiled.filename));
  const mapped = frames.map((frame) =>
    frame.replace(at, (whole, l: string, c: string) => {
      const generated = { line: Number(l), column: Number(c) };
      const pos = compiled.mapPosition === undefined ? generated : compiled.mapPosition(generated);
      if (pos === undefined) return whole;
      first ??= pos;
      return `${compiled.filename}:${pos.line}:${pos.column}`;
    }),
  );
  return { ...first, scriptStack: [lines[0], ...mapped].join('\n') };
}

/** Rewrites an engine message's `[file:line:col]` suffix (compile errors) to the author's position. */
export function locateMessage(message: string, compiled: CompiledScript): { message: string; line?: number; column?: number } {
  const m = new RegExp(`\\s*\\[${escapeRegExp(compiled.filename)}:(\\d+):(\\d+)\\]$`).exec(message);
  if (m === null) return { message };
  const generated = { line: Number(m[1]), column: Number(m[2]) };
  const pos = compiled.mapPosition === undefined ? generated : (compiled.mapPosition(generated) ?? generated);
  return { message: message.slice(0, m.index), line: pos.line, column: pos.column };
}

/** The run's final message (see RunOutcome). */
export function parseOutcome(json: unknown): RunOutcome {
  if (typeof json !== 'string') {
    throw new ScadaLinkError(ScriptErrorCode.Error, 'the script did not complete through the sandbox wrapper');
  }
  return JSON.parse(json) as RunOutcome;
}

/** The value a run returned, or the ScadaLinkError it failed with. */
export function decodeOutcome(outcome: Exclude<RunOutcome, { retry: true }>, compiled: CompiledScript): JsonValue | undefined {
  if (outcome.ok) return outcome.value;
  const e = outcome.error;
  const where = locate(e.stack, compiled);
  if (e.host && e.code !== undefined) {
    return throwError(e.code, e.message, { ...e.details, ...where });
  }
  return throwError(ScriptErrorCode.Error, e.message, { errorName: e.name, ...where });
}

function throwError(code: string, message: string, details: Record<string, unknown>): never {
  throw new ScadaLinkError(code, message, { details });
}

/**
 * The UTF-8 size of `text` when it is over `limitBytes`, else undefined. The
 * length is checked first: a string shorter than the limit in UTF-16 units
 * may still be longer in bytes (up to 3 per unit), never the reverse.
 */
export function utf8SizeOver(text: string, limitBytes: number): number | undefined {
  if (text.length * 3 <= limitBytes) return undefined;
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  return sizeBytes > limitBytes ? sizeBytes : undefined;
}
