// STYLE §5: one error class per failure; retryability is data, never parsed from a message.

export type FailureClass = 'transient' | 'permanent';

export interface ScadaLinkErrorOptions {
  cause?: unknown;
  details?: Readonly<Record<string, unknown>>;
}

/** Base of every error a user can see: it carries a stable `code`. */
export class ScadaLinkError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: ScadaLinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A failed delivery attempt, classified per DESIGN §3.2. */
export class DeliveryError extends ScadaLinkError {
  readonly classification: FailureClass;
  readonly httpStatus: number | undefined;

  constructor(
    code: string,
    message: string,
    classification: FailureClass,
    options: ScadaLinkErrorOptions & { httpStatus?: number } = {},
  ) {
    super(code, message, options);
    this.classification = classification;
    this.httpStatus = options.httpStatus;
  }

  get transient(): boolean {
    return this.classification === 'transient';
  }
}

/** Invalid project configuration; `issues` name the path of each bad field. */
export class ConfigError extends ScadaLinkError {
  readonly issues: readonly { path: string; message: string; code?: string }[];

  constructor(issues: readonly { path: string; message: string; code?: string }[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/** Returns a one-line, secret-free description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A cached operation failed permanently: thrown to the script that made it,
 * carrying the TrackedOperationId, the classification and the HTTP status or
 * driver error of the attempt (DESIGN §3.1).
 */
export class OperationFailedError extends DeliveryError {
  readonly trackedOperationId: string;

  constructor(trackedOperationId: string, cause: DeliveryError) {
    super(cause.code, `${cause.message} (operation ${trackedOperationId})`, cause.classification, {
      cause,
      httpStatus: cause.httpStatus,
      details: { ...cause.details, trackedOperationId, classification: cause.classification, httpStatus: cause.httpStatus ?? null },
    });
    this.trackedOperationId = trackedOperationId;
  }
}
