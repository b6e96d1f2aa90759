// UI users and sessions on SQLite (issue 12, point 1): migration 0009.
import type Database from 'better-sqlite3';
import type { OperatorRole } from './types.js';
import type { UiSessionRecord, UiStore, UiUserRecord, UiUserSummary } from './ui-types.js';

interface UserRow {
  Name: string;
  Role: OperatorRole;
  PasswordHash: string;
  Disabled: number;
  CreatedAtUtc: string;
  UpdatedAtUtc: string;
  FailedAttempts: number;
  LastFailureAtMs: number | null;
}

const recordOf = (r: UserRow): UiUserRecord => ({
  name: r.Name,
  role: r.Role,
  passwordHash: r.PasswordHash,
  disabled: r.Disabled === 1,
  createdAtUtc: r.CreatedAtUtc,
  updatedAtUtc: r.UpdatedAtUtc,
  failedAttempts: r.FailedAttempts,
  lastFailureAtMs: r.LastFailureAtMs,
});

function summaryOf(r: UserRow): UiUserSummary {
  const { passwordHash: _hash, ...summary } = recordOf(r);
  return summary;
}

export class SqliteUiStore implements UiStore {
  constructor(private readonly db: Database.Database) {}

  putUser(u: { name: string; role: OperatorRole; passwordHash: string }): Promise<boolean> {
    const now = new Date().toISOString();
    const r = this.db
      .prepare('INSERT INTO UiUsers (Name, Role, PasswordHash, CreatedAtUtc, UpdatedAtUtc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (Name) DO NOTHING')
      .run(u.name, u.role, u.passwordHash, now, now);
    return Promise.resolve(r.changes === 1);
  }

  user(name: string): Promise<UiUserRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM UiUsers WHERE Name = ?').get(name) as UserRow | undefined;
    return Promise.resolve(r === undefined ? undefined : recordOf(r));
  }

  users(): Promise<UiUserSummary[]> {
    return Promise.resolve((this.db.prepare('SELECT * FROM UiUsers ORDER BY Name').all() as UserRow[]).map(summaryOf));
  }

  setUserDisabled(name: string, disabled: boolean): Promise<boolean> {
    const tx = this.db.transaction(() => {
      const r = this.db.prepare('UPDATE UiUsers SET Disabled = ?, UpdatedAtUtc = ? WHERE Name = ?').run(disabled ? 1 : 0, new Date().toISOString(), name);
      if (disabled) this.db.prepare('DELETE FROM UiSessions WHERE UserName = ?').run(name);
      return r.changes === 1;
    });
    return Promise.resolve(tx.immediate());
  }

  setUserPassword(name: string, passwordHash: string): Promise<boolean> {
    const tx = this.db.transaction(() => {
      const r = this.db
        .prepare('UPDATE UiUsers SET PasswordHash = ?, FailedAttempts = 0, LastFailureAtMs = NULL, UpdatedAtUtc = ? WHERE Name = ?')
        .run(passwordHash, new Date().toISOString(), name);
      this.db.prepare('DELETE FROM UiSessions WHERE UserName = ?').run(name);
      return r.changes === 1;
    });
    return Promise.resolve(tx.immediate());
  }

  signInFailed(name: string, atMs: number): Promise<void> {
    this.db.prepare('UPDATE UiUsers SET FailedAttempts = FailedAttempts + 1, LastFailureAtMs = ? WHERE Name = ?').run(atMs, name);
    return Promise.resolve();
  }

  signInSucceeded(name: string): Promise<void> {
    this.db.prepare('UPDATE UiUsers SET FailedAttempts = 0, LastFailureAtMs = NULL WHERE Name = ? AND FailedAttempts <> 0').run(name);
    return Promise.resolve();
  }

  putSession(sessionHash: string, userName: string, atMs: number): Promise<void> {
    this.db.prepare('INSERT INTO UiSessions (SessionHash, UserName, CreatedAtMs, LastSeenAtMs) VALUES (?, ?, ?, ?)').run(sessionHash, userName, atMs, atMs);
    return Promise.resolve();
  }

  session(sessionHash: string): Promise<UiSessionRecord | undefined> {
    const r = this.db
      .prepare('SELECT u.*, s.CreatedAtMs AS SCreated, s.LastSeenAtMs AS SSeen FROM UiSessions s JOIN UiUsers u ON u.Name = s.UserName WHERE s.SessionHash = ?')
      .get(sessionHash) as (UserRow & { SCreated: number; SSeen: number }) | undefined;
    return Promise.resolve(r === undefined ? undefined : { user: summaryOf(r), createdAtMs: r.SCreated, lastSeenAtMs: r.SSeen });
  }

  touchSession(sessionHash: string, atMs: number): Promise<void> {
    this.db.prepare('UPDATE UiSessions SET LastSeenAtMs = ? WHERE SessionHash = ? AND LastSeenAtMs < ?').run(atMs, sessionHash, atMs);
    return Promise.resolve();
  }

  deleteSession(sessionHash: string): Promise<void> {
    this.db.prepare('DELETE FROM UiSessions WHERE SessionHash = ?').run(sessionHash);
    return Promise.resolve();
  }

  purgeSessions(idleBeforeMs: number, createdBeforeMs: number): Promise<number> {
    return Promise.resolve(this.db.prepare('DELETE FROM UiSessions WHERE LastSeenAtMs < ? OR CreatedAtMs < ?').run(idleBeforeMs, createdBeforeMs).changes);
  }
}
