// Web UI users and their sessions (issue 12, point 1; docs/ui.md): the rows
// of migration 0009, in db/sqlite-ui.ts and db/postgres-ui.ts.
import type { OperatorRole } from './types.js';

/** A UI user as the database holds it: never the password, only its scrypt hash. */
export interface UiUserRecord {
  readonly name: string;
  readonly role: OperatorRole;
  readonly passwordHash: string;
  readonly disabled: boolean;
  readonly createdAtUtc: string;
  readonly updatedAtUtc: string;
  /** Consecutive failed sign-ins (0 after a success or a new password). */
  readonly failedAttempts: number;
  /** When the newest of those failed (ms since the epoch), null when none. */
  readonly lastFailureAtMs: number | null;
}

/** What `user list` shows: never the hash. */
export type UiUserSummary = Omit<UiUserRecord, 'passwordHash'>;

/** A live session joined to its user. */
export interface UiSessionRecord {
  readonly user: UiUserSummary;
  readonly createdAtMs: number;
  readonly lastSeenAtMs: number;
}

export interface UiStore {
  /** Stores a new user; false (nothing written) when one of that name exists. */
  putUser(user: { readonly name: string; readonly role: OperatorRole; readonly passwordHash: string }): Promise<boolean>;
  user(name: string): Promise<UiUserRecord | undefined>;
  /** Every user, by name, without hashes. */
  users(): Promise<UiUserSummary[]>;
  /** false when there is no such user. Disabling ends the user's sessions. */
  setUserDisabled(name: string, disabled: boolean): Promise<boolean>;
  /** Replaces the hash, clears the failure count and ends the user's sessions; false when there is no such user. */
  setUserPassword(name: string, passwordHash: string): Promise<boolean>;
  /** Counts one more failed sign-in at `atMs`. */
  signInFailed(name: string, atMs: number): Promise<void>;
  /** Clears the failure count. */
  signInSucceeded(name: string): Promise<void>;

  putSession(sessionHash: string, userName: string, atMs: number): Promise<void>;
  /** The session and its user, whatever their age (the caller applies the expiry). */
  session(sessionHash: string): Promise<UiSessionRecord | undefined>;
  /** Moves the session's last activity forward to `atMs`. */
  touchSession(sessionHash: string, atMs: number): Promise<void>;
  deleteSession(sessionHash: string): Promise<void>;
  /** Deletes sessions idle since before `idleBeforeMs` or created before `createdBeforeMs`; returns how many. */
  purgeSessions(idleBeforeMs: number, createdBeforeMs: number): Promise<number>;
}
