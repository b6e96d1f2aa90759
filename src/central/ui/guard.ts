// What every /ui route shares (issue 12, points 1 and 8): the signed-in
// session on the request, the hook that loads it (no session: to the sign-in
// page), the CSRF check of every state-changing request, and `requireRole`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorRole } from '../db/index.js';
import { roleAllows } from '../tokens.js';
import { forbiddenPage, refusedPage } from './html.js';
import { CSRF_FIELD, CSRF_HEADER, type UiSession, type UiSessions, csrfMatches, sessionIdOf } from './sessions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A /ui route open without a session (the sign-in page, the stylesheet). */
    uiPublic?: boolean;
  }
}

type WithSession = FastifyRequest & { uiSession?: UiSession };

/** The request's session; only for routes behind the session hook (every /ui route not marked uiPublic). */
export function sessionOf(req: FastifyRequest): UiSession {
  const s = (req as WithSession).uiSession;
  if (s === undefined) throw new Error('sessionOf: the route is not behind the UI session hook');
  return s;
}

const SAFE = new Set(['GET', 'HEAD']);

/** onRequest: loads the session; without one, GET/HEAD go to the sign-in page and other methods get 303 there too. */
export function loadSession(sessions: UiSessions) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (req.routeOptions.config.uiPublic === true) return undefined;
    const session = await sessions.find(sessionIdOf(req.headers.cookie));
    if (session === undefined) return reply.code(303).header('location', '/ui/login').send();
    (req as WithSession).uiSession = session;
    return undefined;
  };
}

/** preValidation: every state-changing request of a session carries its CSRF token (form field or header); else 403. */
export async function checkCsrf(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (SAFE.has(req.method) || req.routeOptions.config.uiPublic === true) return undefined;
  const session = sessionOf(req);
  const body = req.body as Record<string, unknown> | undefined;
  const sent = req.headers[CSRF_HEADER] ?? (typeof body === 'object' && body !== null ? body[CSRF_FIELD] : undefined);
  if (!csrfMatches(sent, session)) return reply.code(403).type('text/html; charset=utf-8').send(refusedPage(session));
  return undefined;
}

/**
 * A preHandler for /ui routes that need more than a signed-in user:
 * `app.post('/x', { preHandler: requireRole('Deployment') }, …)`. A user whose
 * role is below gets a 403 page (a forged request is refused, not just hidden).
 */
export function requireRole(needed: OperatorRole) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const session = sessionOf(req);
    if (roleAllows(session.user.role, needed)) return undefined;
    return reply.code(403).type('text/html; charset=utf-8').send(forbiddenPage(session, needed));
  };
}
