// The UI's server-rendered pages (issue 12, point 1): plain HTML with one
// stylesheet from central itself (no CDN, no script). Everything
// interpolated goes through `esc`.
import type { UiSession } from './sessions.js';
import { CSRF_FIELD } from './sessions.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The headers of every /ui answer: no caching, no framing, only central's own resources. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export const STYLESHEET = `body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#1f3a5f;color:#fff}
header form{margin:0}main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:1.2rem;max-width:24rem;margin:3rem auto}
label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.45rem;font-size:1rem}
button{padding:.45rem .9rem;font-size:1rem;margin-top:.8rem;cursor:pointer}
.error{color:#8a1c1c;background:#fbeaea;border:1px solid #e3b4b4;padding:.5rem;border-radius:4px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e2e5ea}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
`;

/** A whole page; `session` adds the header with the user and the sign-out form. */
export function page(title: string, body: string, session?: UiSession): string {
  const header =
    session === undefined
      ? ''
      : `<header><strong>ScadaLink</strong><span>signed in as ${esc(session.user.name)} (${esc(session.user.role)})</span>
<form method="post" action="/ui/logout">${csrfField(session)}<button type="submit">Sign out</button></form></header>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ScadaLink</title><link rel="stylesheet" href="/ui/assets/ui.css"></head>
<body>${header}<main>${body}</main></body></html>
`;
}

/** The hidden field every form of a session carries. */
export function csrfField(session: UiSession): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${esc(session.csrf)}">`;
}

export function loginPage(error?: string, name = ''): string {
  const message = error === undefined ? '' : `<p class="error" role="alert">${esc(error)}</p>`;
  return page(
    'Sign in',
    `<div class="card"><h1>Sign in to ScadaLink</h1>${message}
<form method="post" action="/ui/login">
<label for="name">User name</label><input id="name" name="name" type="text" autocomplete="username" required autofocus value="${esc(name)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></div>`,
  );
}

export function homePage(session: UiSession): string {
  return page('Home', `<h1>ScadaLink</h1><p>Signed in as ${esc(session.user.name)} (${esc(session.user.role)}).</p>`, session);
}

export function forbiddenPage(session: UiSession, needed: string): string {
  return page('Forbidden', `<h1>Not allowed</h1><p>This page needs the ${esc(needed)} role; ${esc(session.user.name)} has ${esc(session.user.role)}.</p><p><a href="/ui/">Home</a></p>`, session);
}

/** A refused state-changing request (missing or wrong CSRF token, or a cross-site sign-in). */
export function refusedPage(session?: UiSession): string {
  return page('Refused', '<h1>Request refused</h1><p>The form was stale or did not come from this site. Reload the page and try again.</p><p><a href="/ui/">Home</a></p>', session);
}
