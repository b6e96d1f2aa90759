// What central accepts from a site (issue 8, point 2): one schema per message
// that crosses the site link, used at the transport boundary and again by the
// central repository (which `scadalink dev` feeds directly). Limits are
// written down in docs/central.md ("What central accepts from a site").
import { z } from 'zod';
import { type TrackedOperationId, isTrackedOperationId } from './ids.js';
import type { AuditEvent, OperationSnapshot } from './telemetry.js';
import { AuditKind, Channel, OperationStatus } from './vocabulary.js';

export const TELEMETRY_LIMITS = {
  /** No instant before this is real telemetry (the product did not exist). */
  earliestUtc: '2000-01-01T00:00:00.000Z',
  /** Clock skew tolerated ahead of central's clock. */
  futureMs: 24 * 3_600_000,
  targetChars: 1_024,
  errorChars: 16_384,
  /** Node, instance, script and operator names. */
  nameChars: 256,
  /** Largest eventId echoed back in a rejection (a valid one is 36). */
  echoChars: 128,
} as const;

const EARLIEST_MS = Date.parse(TELEMETRY_LIMITS.earliestUtc);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number in s[from, from+n) if all are digits, else -1. Hand-rolled: it runs ~4 times per event. */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The instant `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` names, or NaN. */
function parseInstant(s: string): number {
  const n = s.length;
  if (n < 20 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[n - 1] !== 'Z') return NaN;
  // Up to 6 fraction digits: what PostgreSQL's timestamptz keeps (the site writes 3).
  if (n > 20 && (s[19] !== '.' || n > 27 || n === 21 || digits(s, 20, n - 21) < 0)) return NaN;
  const [y, mo, d, h, mi, sec] = [digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2)];
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return NaN;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, sec);
}

/**
 * Why `s` is not a real instant within the accepted window, or undefined when
 * it is one. Date.parse is not enough: it rolls 2026-02-30 over to March 2 and
 * 24:00 to the next day, so each field is range-checked (the exact round trip).
 */
export function instantProblem(s: string, now: number = Date.now()): string | undefined {
  const ms = parseInstant(s);
  if (Number.isNaN(ms)) return 'is not a real ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)';
  if (ms < EARLIEST_MS) return `is before ${TELEMETRY_LIMITS.earliestUtc}`;
  if (ms > now + TELEMETRY_LIMITS.futureMs) return "is more than a day ahead of central's clock";
  return undefined;
}

/** A value quoted into a reason, cut short: a hostile site must not fill central's log with its own text. */
function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

const Instant = z.string().superRefine((s, ctx) => {
  const why = instantProblem(s);
  if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
});

const Uuid = z.custom<TrackedOperationId>(isTrackedOperationId, { error: 'is not a UUID' });

// Members are looked up as own keys (z.enum keeps a Set of the values), never through a prototype.
function member<T extends Record<string, string>>(vocabulary: T, what: string) {
  return z.enum(vocabulary, { error: (iss) => `unknown ${what} ${quote(iss.input)}` });
}

// PostgreSQL text and jsonb cannot hold NUL: one such string would fail the whole batch.
const text = (max: number) =>
  z
    .string()
    .max(max, { error: `is longer than ${max} characters` })
    .refine((s) => !s.includes('\u0000'), { error: 'contains a NUL character' });
const Name = text(TELEMETRY_LIMITS.nameChars);
const Count = z.number().int().min(0).max(2 ** 31 - 1);
const HttpStatus = z.number().int().min(0).max(999);
const none = <T extends z.ZodType>(s: T) => s.nullable();

export const operationSnapshotSchema = z.object({
  trackedOperationId: Uuid,
  channel: member(Channel, 'channel'),
  target: text(TELEMETRY_LIMITS.targetChars),
  status: member(OperationStatus, 'status'),
  retryCount: Count,
  lastError: none(text(TELEMETRY_LIMITS.errorChars)),
  httpStatus: none(HttpStatus),
  createdAtUtc: Instant,
  updatedAtUtc: Instant,
  terminalAtUtc: none(Instant),
  sourceInstanceId: none(Name),
  sourceScript: none(Name),
  sourceNode: none(Name),
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const ActorSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('script'), instance: Name, script: Name }),
  z.object({ type: z.literal('operator'), name: Name }),
]);

export const auditEventSchema = z
  .object({
    eventId: Uuid,
    trackedOperationId: none(Uuid),
    kind: member(AuditKind, 'kind'),
    status: member(OperationStatus, 'status'),
    channel: member(Channel, 'channel'),
    target: text(TELEMETRY_LIMITS.targetChars),
    occurredAtUtc: Instant,
    actor: ActorSchema,
    sourceNode: Name,
    error: none(text(TELEMETRY_LIMITS.errorChars)),
    httpStatus: none(HttpStatus),
    durationMs: none(z.number().min(0).max(Number.MAX_SAFE_INTEGER)),
    operation: none(operationSnapshotSchema),
  })
  .superRefine((e, ctx) => {
    const op = e.operation;
    // A synchronous ApiCall has no tracking row; every other kind reports one (DESIGN §4).
    if (op === null) {
      if (e.kind !== AuditKind.ApiCall) ctx.addIssue({ code: 'custom', message: `a ${e.kind} event carries no operation snapshot` });
      else if (e.trackedOperationId !== null) ctx.addIssue({ code: 'custom', message: 'an ApiCall event carries a trackedOperationId' });
      return;
    }
    if (e.kind === AuditKind.ApiCall) ctx.addIssue({ code: 'custom', message: 'an ApiCall event carries an operation snapshot' });
    if (op.trackedOperationId !== e.trackedOperationId) {
      ctx.addIssue({ code: 'custom', path: ['operation', 'trackedOperationId'], message: 'differs from the event' });
    }
    if (op.channel !== e.channel) ctx.addIssue({ code: 'custom', path: ['operation', 'channel'], message: 'differs from the event' });
  });

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The value at `path` inside `input` (zod's final issues do not carry it). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function reasonOf(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    if (path === '') message = 'is not an object';
    else message = valueAt(input, issue.path) === undefined ? 'is required' : `expected ${issue.expected}`;
  } else if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin !== 'string') {
    message = `must be ${'minimum' in issue ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`}`;
  } else if (issue.code === 'invalid_union') message = 'is not a script or operator actor';
  return path === '' ? message : `${path}: ${message}`;
}

/**
 * Runs `schema` on `input`, remembering each clean copy it returns in
 * `passed`: the gRPC boundary checks an event and the repository checks it
 * again (it is also reached without the boundary, from `scadalink dev`), and
 * the second check of the same copy is then a set lookup, not a second parse
 * (a clean copy is never changed after its check).
 */
function check<T>(schema: z.ZodType<T>, passed: WeakSet<object>, input: unknown): Checked<T> {
  if (typeof input === 'object' && input !== null && passed.has(input)) return { ok: true, value: input as T };
  const r = schema.safeParse(input);
  if (!r.success) return { ok: false, reason: reasonOf(r.error, input) };
  passed.add(r.data as object);
  return { ok: true, value: r.data };
}

const passedEvents = new WeakSet<object>();
const passedSnapshots = new WeakSet<object>();

/** An audit event as a site sent it: the event (a clean copy) or why it can never be accepted. */
export function checkAuditEvent(input: unknown): Checked<AuditEvent> {
  return check(auditEventSchema, passedEvents, input) as Checked<AuditEvent>;
}

/** A tracking row pulled by reconciliation: the row (a clean copy) or why it can never be stored. */
export function checkOperationSnapshot(input: unknown): Checked<OperationSnapshot> {
  return check(operationSnapshotSchema, passedSnapshots, input) as Checked<OperationSnapshot>;
}

/** The eventId of something rejected, as far as it can be told back to the site. */
export function echoedEventId(input: unknown): string {
  const id = typeof input === 'object' && input !== null ? (input as { eventId?: unknown }).eventId : undefined;
  return typeof id === 'string' ? id.slice(0, TELEMETRY_LIMITS.echoChars) : '';
}
