// DESIGN §4 is normative: these are the only names for channels, kinds and statuses.

export const Channel = {
  ApiOutbound: 'ApiOutbound',
  DbOutbound: 'DbOutbound',
  Notification: 'Notification',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

export const AuditKind = {
  CachedSubmit: 'CachedSubmit',
  ApiCallCached: 'ApiCallCached',
  DbWriteCached: 'DbWriteCached',
  NotificationCached: 'NotificationCached',
  CachedResolve: 'CachedResolve',
  CachedRetry: 'CachedRetry',
  ApiCall: 'ApiCall',
} as const;
export type AuditKind = (typeof AuditKind)[keyof typeof AuditKind];

export const OperationStatus = {
  Submitted: 'Submitted',
  Forwarded: 'Forwarded',
  Attempted: 'Attempted',
  Delivered: 'Delivered',
  Failed: 'Failed',
  Parked: 'Parked',
  Discarded: 'Discarded',
} as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];

/** Audit statuses share the operation status names (DESIGN §4). */
export type AuditStatus = OperationStatus;

/** Terminal rows never change again; Parked is a resting state, not terminal. */
export const TERMINAL_STATUSES: ReadonlySet<OperationStatus> = new Set([
  OperationStatus.Delivered,
  OperationStatus.Failed,
  OperationStatus.Discarded,
]);

export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** The per-attempt audit kind of each channel. */
export const ATTEMPT_KIND: Readonly<Record<Channel, AuditKind>> = {
  ApiOutbound: AuditKind.ApiCallCached,
  DbOutbound: AuditKind.DbWriteCached,
  Notification: AuditKind.NotificationCached,
};

// Own keys only: `in` would also find `toString`, `constructor`, `__proto__`…
// on Object.prototype and let them through as channels or statuses.
export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.hasOwn(Channel, value);
}

export function isOperationStatus(value: unknown): value is OperationStatus {
  return typeof value === 'string' && Object.hasOwn(OperationStatus, value);
}

export function isAuditKind(value: unknown): value is AuditKind {
  return typeof value === 'string' && Object.hasOwn(AuditKind, value);
}
