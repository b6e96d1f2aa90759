// Central's web UI (issue 12; docs/ui.md): users, sign-in, sessions, CSRF
// and the role guard the UI's pages are built on.
export { SIGN_IN_FAILED, uiRoutes } from './routes.js';
export { requireRole, sessionOf } from './guard.js';
export { csrfField, esc, page } from './html.js';
export {
  CSRF_FIELD,
  CSRF_HEADER,
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_MS,
  SESSION_COOKIE,
  UiSessions,
  type UiSession,
  type UiSessionSettings,
} from './sessions.js';
export { ADDRESS_FREE_FAILURES, MAX_PAUSE_MS, USER_FREE_FAILURES } from './throttle.js';
export { MIN_PASSWORD, USER_NAME, addUser, checkPassword, checkUserName, generatePassword, listUsers, setUserDisabled, setUserPassword } from './users.js';
