// Issue 12, point 1: UI sessions, in-process on real SQLite and PostgreSQL
// (docs/ui.md "Sessions", "CSRF"): inactivity expiry, sign-out, the CSRF
// token of every state-changing request, and a session accepted by a second
// central replica on the same PostgreSQL database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CentralNode, setUserDisabled, setUserPassword } from '../../../src/central/index.js';
import { type Engine, type UiFixture, csrfOf, get, post, session, uiFixture, user } from './ui-node.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'correct horse battery staple';

describe.each<Engine>(['sqlite', 'postgres'])('issue 12 point 1: UI sessions on %s', (engine) => {
  let fx: UiFixture;
  let node: CentralNode;

  beforeEach(async () => {
    fx = await uiFixture(engine);
    node = await fx.start();
    await user(node, 'alice', 'Admin', PASSWORD);
  });
  afterEach(async () => fx.close());

  it('issue 12 point 1: sign-out ends the session (the old cookie no longer works) and clears the cookie', async () => {
    const cookie = await session(node, 'alice', PASSWORD);
    const out = await post(node, '/ui/logout', cookie, { _csrf: await csrfOf(node, cookie) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/ui/login');
    expect(out.headers.get('set-cookie')).toMatch(/^scadalink_ui=; .*Max-Age=0/);
    const after = await get(node, '/ui/', cookie);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/ui/login');
  });

  it('issue 12 point 1: a state-changing request without its CSRF token, with a wrong one or another session\'s, is 403 and changes nothing', async () => {
    const cookie = await session(node, 'alice', PASSWORD);
    const other = await session(node, 'alice', PASSWORD);
    const otherToken = await csrfOf(node, other);
    const token = await csrfOf(node, cookie);
    expect(otherToken).not.toBe(token);
    for (const form of [{} as Record<string, string>, { _csrf: 'wrong' }, { _csrf: otherToken }, { _csrf: token.slice(0, -1) }]) {
      const res = await post(node, '/ui/logout', cookie, form);
      expect(res.status, JSON.stringify(form)).toBe(403);
      expect(await res.text()).toContain('Request refused');
    }
    expect((await get(node, '/ui/', cookie)).status).toBe(200);
    // The header carries it as well as the form field.
    expect((await post(node, '/ui/logout', cookie, {}, { 'x-csrf-token': token })).status).toBe(303);
    expect((await get(node, '/ui/', cookie)).status).toBe(303);
  });

  it('issue 12 point 1: a session ends after the configured inactivity (1.5 s here); requests within it keep it alive', async () => {
    const short = await fx.start({ uiIdleTimeoutMs: 1_500 });
    const cookie = await session(short, 'alice', PASSWORD);
    // Time passing is what is under test: no event marks it.
    await sleep(1_000);
    expect((await get(short, '/ui/', cookie)).status).toBe(200);
    await sleep(1_000);
    // 2 s after sign-in, 1 s after the last request: still alive.
    expect((await get(short, '/ui/', cookie)).status).toBe(200);
    await sleep(1_700);
    const expired = await get(short, '/ui/', cookie);
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/ui/login');
  });

  it('issue 12 point 1: a session ends at the absolute maximum however active', async () => {
    const short = await fx.start({ uiMaxSessionMs: 1_000 });
    const cookie = await session(short, 'alice', PASSWORD);
    expect((await get(short, '/ui/', cookie)).status).toBe(200);
    await sleep(1_100);
    expect((await get(short, '/ui/', cookie)).status).toBe(303);
  });

  it('issue 12 point 1: disabling a user or giving it a new password ends its sessions', async () => {
    await user(node, 'bob', 'Viewer', PASSWORD);
    const a = await session(node, 'alice', PASSWORD);
    const b = await session(node, 'bob', PASSWORD);
    await setUserDisabled(node.repo, 'test', 'bob', true);
    await setUserPassword(node.repo, 'test', 'alice', 'a brand new password');
    expect((await get(node, '/ui/', a)).status).toBe(303);
    expect((await get(node, '/ui/', b)).status).toBe(303);
    expect((await session(node, 'alice', 'a brand new password')).length).toBeGreaterThan(0);
  });

  if (engine === 'postgres') {
    it('issue 12 point 1: a session made on one replica is accepted by a second on the same PostgreSQL, and a sign-out on either ends it on both', async () => {
      const second = await fx.start();
      const cookie = await session(node, 'alice', PASSWORD);
      const home = await get(second, '/ui/', cookie);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('signed in as alice (Admin)');
      // The CSRF token is the session's, whichever replica rendered it.
      const out = await post(second, '/ui/logout', cookie, { _csrf: await csrfOf(node, cookie) });
      expect(out.status).toBe(303);
      expect((await get(node, '/ui/', cookie)).status).toBe(303);
    });
  }
});
