// UI sessions (issue 12, point 1; docs/ui.md "Sessions"): a 256-bit random id
// in an HttpOnly, SameSite=Strict cookie scoped to /ui; the database keeps
// only its SHA-256, so every central replica on the database accepts it and a
// copy of the database signs nobody in. A session ends after `idleMs` without
// a request, `maxMs` after sign-in, at sign-out, and when its user is
// disabled or given a new password. Its CSRF token is an HMAC of the id:
// tied to the session, never stored, compared in constant time.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CentralRepository, UiUserSummary } from '../db/index.js';

export const SESSION_COOKIE = 'scadalink_ui';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface UiSessionSettings {
  /** A session ends after this long without a request. Default 30 minutes. */
  readonly idleMs: number;
  /** And this long after sign-in whatever its activity. Default 12 hours. */
  readonly maxMs: number;
  /** Mark the cookie Secure (central is reached over TLS, e.g. behind a TLS proxy). */
  readonly secureCookies: boolean;
}

export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_MS = 12 * 3_600_000;

/** A signed-in request's session. */
export interface UiSession {
  readonly user: UiUserSummary;
  /** The hash the database knows the session by. */
  readonly hash: string;
  /** The synchronizer token every state-changing request of the session carries. */
  readonly csrf: string;
}

const hashOf = (id: string): string => createHash('sha256').update(id).digest('hex');
const csrfOf = (id: string): string => createHmac('sha256', id).update('scadalink-ui-csrf').digest('base64url');

/** The Set-Cookie value that carries `id` (or clears the cookie when id is empty). */
export function sessionCookie(id: string, settings: UiSessionSettings): string {
  const parts = [`${SESSION_COOKIE}=${id}`, 'Path=/ui', 'HttpOnly', 'SameSite=Strict'];
  if (id === '') parts.push('Max-Age=0');
  if (settings.secureCookies) parts.push('Secure');
  return parts.join('; ');
}

/** The session id in a Cookie header, if any. */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** Constant-time comparison of a CSRF token a request sent with the session's. */
export function csrfMatches(sent: unknown, session: UiSession): boolean {
  if (typeof sent !== 'string') return false;
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(session.csrf).digest();
  return timingSafeEqual(a, b);
}

export class UiSessions {
  constructor(
    private readonly repo: CentralRepository,
    readonly settings: UiSessionSettings,
  ) {}

  /** Starts a session for the user; returns the cookie's id. */
  async start(userName: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.repo.ui.putSession(hashOf(id), userName, Date.now());
    return id;
  }

  /** The live session of this id, else undefined (an expired one is deleted). */
  async find(id: string | undefined): Promise<UiSession | undefined> {
    if (id === undefined) return undefined;
    const hash = hashOf(id);
    const found = await this.repo.ui.session(hash);
    if (found === undefined) return undefined;
    const now = Date.now();
    if (found.user.disabled || found.lastSeenAtMs + this.settings.idleMs <= now || found.createdAtMs + this.settings.maxMs <= now) {
      await this.repo.ui.deleteSession(hash);
      return undefined;
    }
    // Written at most every tenth of the idle time (at most a minute apart), not on every request.
    if (now - found.lastSeenAtMs >= Math.min(this.settings.idleMs / 10, 60_000)) await this.repo.ui.touchSession(hash, now);
    return { user: found.user, hash, csrf: csrfOf(id) };
  }

  async end(session: UiSession): Promise<void> {
    await this.repo.ui.deleteSession(session.hash);
  }

  /** Deletes expired sessions (the daily purge); returns how many. */
  purge(now = Date.now()): Promise<number> {
    return this.repo.ui.purgeSessions(now - this.settings.idleMs, now - this.settings.maxMs);
  }
}
