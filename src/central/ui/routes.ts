// The /ui routes of issue 12, point 1: sign-in and sign-out, the signed-in
// home page, and the Admin's list of users. Mounted by http.ts under /ui in
// their own context: the session hook and the CSRF check cover every route in it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { hashSecret, verifySecret } from '../../commons/index.js';
import type { CentralRepository } from '../db/index.js';
import { checkCsrf, loadSession, requireRole, sessionOf } from './guard.js';
import { SECURITY_HEADERS, STYLESHEET, esc, homePage, loginPage, page, refusedPage } from './html.js';
import { type UiSessions, sessionCookie } from './sessions.js';
import { AddressThrottle, USER_FREE_FAILURES, pausedUntil } from './throttle.js';
import { MAX_PASSWORD, USER_NAME } from './users.js';

/** The one answer to every failed sign-in, whatever was wrong. */
export const SIGN_IN_FAILED = 'Sign-in failed. Check the user name and password and try again in a while, or ask an administrator.';
const FORM = 'application/x-www-form-urlencoded';
const FORM_LIMIT = 16 * 1024;

/** Hashed once per process: what an unknown user's password is checked against, so it costs the same time. */
let dummy: Promise<string> | undefined;

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

export function uiRoutes(repo: CentralRepository, sessions: UiSessions, logger: Logger) {
  const addresses = new AddressThrottle();

  /** Checks the credentials; the session id on success, else undefined (always after one scrypt run). */
  async function signIn(name: string, password: string, address: string): Promise<string | undefined> {
    const now = Date.now();
    const user = USER_NAME.test(name) ? await repo.ui.user(name) : undefined;
    dummy ??= hashSecret('dummy password that no user has');
    const ok = await verifySecret(password.slice(0, MAX_PASSWORD), user?.passwordHash ?? (await dummy));
    const addressPaused = addresses.pausedUntil(address, now) > now;
    const userPaused = user !== undefined && pausedUntil(user.failedAttempts, user.lastFailureAtMs, USER_FREE_FAILURES) > now;
    if (user !== undefined && ok && !user.disabled && !userPaused && !addressPaused) {
      await repo.ui.signInSucceeded(user.name);
      logger.info({ user: user.name, address }, 'ui sign-in');
      return sessions.start(user.name);
    }
    // Attempts refused while paused are not counted (they checked nothing).
    if (!addressPaused) addresses.failed(address, now);
    if (user !== undefined && !userPaused && !addressPaused) await repo.ui.signInFailed(user.name, now);
    const reason = user === undefined ? 'unknown user' : addressPaused || userPaused ? 'paused after repeated failures' : user.disabled ? 'disabled user' : 'wrong password';
    // An unknown name is not logged: it may be a password typed into the wrong box.
    logger.warn({ user: user?.name, address, reason }, 'ui sign-in failed');
    return undefined;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.addHook('onRequest', async (_req, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    app.addHook('onRequest', loadSession(sessions));
    app.addHook('preValidation', checkCsrf);

    app.get('/assets/ui.css', { config: { uiPublic: true } }, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(STYLESHEET));

    app.get('/login', { config: { uiPublic: true } }, async (_req, reply) => html(reply, 200, loginPage()));

    app.post('/login', { config: { uiPublic: true } }, async (req: FastifyRequest, reply) => {
      // There is no session to tie a token to yet: a sign-in posted from another site is refused by the browser's own word.
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return html(reply, 403, refusedPage());
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const name = typeof body.name === 'string' ? body.name : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const id = await signIn(name, password, req.ip);
      if (id === undefined) return html(reply, 401, loginPage(SIGN_IN_FAILED, USER_NAME.test(name) ? name : ''));
      return reply.code(303).header('set-cookie', sessionCookie(id, sessions.settings)).header('location', '/ui/').send();
    });

    app.post('/logout', async (req, reply) => {
      const session = sessionOf(req);
      await sessions.end(session);
      logger.info({ user: session.user.name }, 'ui sign-out');
      return reply.code(303).header('set-cookie', sessionCookie('', sessions.settings)).header('location', '/ui/login').send();
    });

    app.get('/', async (req, reply) => html(reply, 200, homePage(sessionOf(req))));

    app.get('/users', { preHandler: requireRole('Admin') }, async (req, reply) => {
      const rows = (await repo.ui.users())
        .map((u) => `<tr><td>${esc(u.name)}</td><td>${esc(u.role)}</td><td>${u.disabled ? 'disabled' : 'enabled'}</td><td>${esc(u.createdAtUtc)}</td></tr>`)
        .join('');
      return html(reply, 200, page('Users', `<h1>Users</h1><table><thead><tr><th>Name</th><th>Role</th><th>State</th><th>Created</th></tr></thead><tbody>${rows}</tbody></table>`, sessionOf(req)));
    });
  };
}
