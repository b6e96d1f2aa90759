// UI users and sessions on PostgreSQL (issue 12, point 1): migration 0009.
import type pg from 'pg';
import { inTransaction } from './pg-connection.js';
import type { OperatorRole } from './types.js';
import type { UiSessionRecord, UiStore, UiUserRecord, UiUserSummary } from './ui-types.js';

interface UserRow {
  name: string;
  role: OperatorRole;
  password_hash: string;
  disabled: boolean;
  created_at_utc: Date;
  updated_at_utc: Date;
  failed_attempts: number;
  last_failure_at_ms: string | null;
}

const recordOf = (r: UserRow): UiUserRecord => ({
  name: r.name,
  role: r.role,
  passwordHash: r.password_hash,
  disabled: r.disabled,
  createdAtUtc: r.created_at_utc.toISOString(),
  updatedAtUtc: r.updated_at_utc.toISOString(),
  failedAttempts: r.failed_attempts,
  lastFailureAtMs: r.last_failure_at_ms === null ? null : Number(r.last_failure_at_ms),
});

function summaryOf(r: UserRow): UiUserSummary {
  const { passwordHash: _hash, ...summary } = recordOf(r);
  return summary;
}

export class PostgresUiStore implements UiStore {
  constructor(private readonly pool: pg.Pool) {}

  async putUser(u: { name: string; role: OperatorRole; passwordHash: string }): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO ui_users (name, role, password_hash, created_at_utc, updated_at_utc) VALUES ($1, $2, $3, now(), now())
       ON CONFLICT (name) DO NOTHING`,
      [u.name, u.role, u.passwordHash],
    );
    return r.rowCount === 1;
  }

  async user(name: string): Promise<UiUserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM ui_users WHERE name = $1', [name]);
    return rows[0] === undefined ? undefined : recordOf(rows[0]);
  }

  async users(): Promise<UiUserSummary[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM ui_users ORDER BY name COLLATE "C"');
    return rows.map(summaryOf);
  }

  setUserDisabled(name: string, disabled: boolean): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query('UPDATE ui_users SET disabled = $2, updated_at_utc = now() WHERE name = $1', [name, disabled]);
      if (disabled) await c.query('DELETE FROM ui_sessions WHERE user_name = $1', [name]);
      return r.rowCount === 1;
    });
  }

  setUserPassword(name: string, passwordHash: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query(
        'UPDATE ui_users SET password_hash = $2, failed_attempts = 0, last_failure_at_ms = NULL, updated_at_utc = now() WHERE name = $1',
        [name, passwordHash],
      );
      await c.query('DELETE FROM ui_sessions WHERE user_name = $1', [name]);
      return r.rowCount === 1;
    });
  }

  async signInFailed(name: string, atMs: number): Promise<void> {
    await this.pool.query('UPDATE ui_users SET failed_attempts = failed_attempts + 1, last_failure_at_ms = $2 WHERE name = $1', [name, atMs]);
  }

  async signInSucceeded(name: string): Promise<void> {
    await this.pool.query('UPDATE ui_users SET failed_attempts = 0, last_failure_at_ms = NULL WHERE name = $1 AND failed_attempts <> 0', [name]);
  }

  async putSession(sessionHash: string, userName: string, atMs: number): Promise<void> {
    await this.pool.query('INSERT INTO ui_sessions (session_hash, user_name, created_at_ms, last_seen_at_ms) VALUES ($1, $2, $3, $3)', [
      sessionHash,
      userName,
      atMs,
    ]);
  }

  async session(sessionHash: string): Promise<UiSessionRecord | undefined> {
    const { rows } = await this.pool.query<UserRow & { s_created: string; s_seen: string }>({
      name: 'ui-session',
      text: `SELECT u.*, s.created_at_ms AS s_created, s.last_seen_at_ms AS s_seen
             FROM ui_sessions s JOIN ui_users u ON u.name = s.user_name WHERE s.session_hash = $1`,
      values: [sessionHash],
    });
    const r = rows[0];
    return r === undefined ? undefined : { user: summaryOf(r), createdAtMs: Number(r.s_created), lastSeenAtMs: Number(r.s_seen) };
  }

  async touchSession(sessionHash: string, atMs: number): Promise<void> {
    await this.pool.query('UPDATE ui_sessions SET last_seen_at_ms = $2 WHERE session_hash = $1 AND last_seen_at_ms < $2', [sessionHash, atMs]);
  }

  async deleteSession(sessionHash: string): Promise<void> {
    await this.pool.query('DELETE FROM ui_sessions WHERE session_hash = $1', [sessionHash]);
  }

  async purgeSessions(idleBeforeMs: number, createdBeforeMs: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM ui_sessions WHERE last_seen_at_ms < $1 OR created_at_ms < $2', [idleBeforeMs, createdBeforeMs]);
    return r.rowCount ?? 0;
  }
}
