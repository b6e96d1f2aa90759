// Issue 12, point 1: signing in to central's web UI, in-process on real
// SQLite and real PostgreSQL (docs/ui.md). One plain message for every
// failure, the cookie's attributes, slowing repeated failures, the role guard,
// and no password in the log or in the database.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CentralNode, SIGN_IN_FAILED, USER_FREE_FAILURES, setUserDisabled } from '../../../src/central/index.js';
import { type Engine, type UiFixture, cookieOf, get, signIn, uiFixture, user } from './ui-node.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'correct horse battery staple';

describe.each<Engine>(['sqlite', 'postgres'])('issue 12 point 1: UI sign-in on %s', (engine) => {
  let fx: UiFixture;
  let node: CentralNode;

  beforeEach(async () => {
    fx = await uiFixture(engine);
    node = await fx.start();
    await user(node, 'alice', 'Admin', PASSWORD);
  });
  afterEach(async () => fx.close());

  it('issue 12 point 1: GET /ui/ without a session goes to /ui/login, a plain HTML form with no script and no outside resource', async () => {
    const home = await get(node, '/ui/');
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/ui/login');
    const login = await get(node, '/ui/login');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await login.text();
    expect(html).toContain('<form method="post" action="/ui/login">');
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect((await get(node, '/ui/assets/ui.css')).status).toBe(200);
  });

  it('issue 12 point 1: a right password signs in: 303 to /ui/, cookie HttpOnly, SameSite=Strict, Path=/ui, not Secure over plain HTTP; /ui/ names the user and role', async () => {
    const res = await signIn(node, 'alice', PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/');
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^scadalink_ui=[A-Za-z0-9_-]{43}; /);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Path=/ui');
    expect(set).not.toContain('Secure');
    const home = await get(node, '/ui/', cookieOf(res));
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('signed in as alice (Admin)');
  });

  it('issue 12 point 1: with uiSecureCookies (central behind TLS) the cookie is Secure', async () => {
    const secure = await fx.start({ uiSecureCookies: true });
    expect((await signIn(secure, 'alice', PASSWORD)).headers.get('set-cookie')).toMatch(/; Secure(;|$)/);
  });

  it('issue 12 point 1: wrong password, unknown user and disabled user get the same status and message, and no cookie', async () => {
    await user(node, 'dave', 'Viewer', PASSWORD);
    await setUserDisabled(node.repo, 'test', 'dave', true);
    const answers = [await signIn(node, 'alice', 'wrong password!!'), await signIn(node, 'nobody', PASSWORD), await signIn(node, 'dave', PASSWORD)];
    const bodies: string[] = [];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.headers.get('set-cookie')).toBeNull();
      const html = await a.text();
      expect(html).toContain(SIGN_IN_FAILED);
      bodies.push(html.replace(/value="[^"]*"/, ''));
    }
    // The pages differ only in the name put back into the box.
    expect(new Set(bodies).size).toBe(1);
  });

  it('issue 12 point 1: an unknown user costs a password hash like a known one (medians of 5)', async () => {
    const time = async (name: string): Promise<number> => {
      const t0 = performance.now();
      await signIn(node, name, 'wrong password!!');
      return performance.now() - t0;
    };
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[2]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`ghost${i}`));
    }
    // Without the dummy hash an unknown name answers in about a millisecond, some 30x faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('issue 12 point 1: after 5 failures the user is paused: even the right password fails until the pause (1 s) is over', async () => {
    for (let i = 0; i < USER_FREE_FAILURES; i++) expect((await signIn(node, 'alice', `wrong password ${i}`)).status).toBe(401);
    expect((await node.repo.ui.user('alice'))?.failedAttempts).toBe(USER_FREE_FAILURES);
    const paused = await signIn(node, 'alice', PASSWORD);
    expect(paused.status).toBe(401);
    expect(await paused.text()).toContain(SIGN_IN_FAILED);
    // Refused while paused, not counted.
    expect((await node.repo.ui.user('alice'))?.failedAttempts).toBe(USER_FREE_FAILURES);
    // The pause ends 1 s after the last failure: a bounded poll, as no event marks it.
    const start = Date.now();
    let status = 401;
    while (status !== 303 && Date.now() - start < 5_000) {
      await sleep(250);
      status = (await signIn(node, 'alice', PASSWORD)).status;
    }
    expect(status).toBe(303);
    expect(Date.now() - start).toBeGreaterThanOrEqual(500);
    expect((await node.repo.ui.user('alice'))?.failedAttempts).toBe(0);
  });

  it('issue 12 point 1: 20 failures from one address pause that address for every user', async () => {
    await user(node, 'bob', 'Viewer', PASSWORD);
    for (let i = 0; i < 20; i++) await signIn(node, `ghost${i}`, 'wrong password!!');
    expect((await signIn(node, 'bob', PASSWORD)).status).toBe(401);
    expect(fx.log.some((l) => l.includes('paused after repeated failures'))).toBe(true);
  }, 30_000);

  it('issue 12 point 1: a Viewer is refused an Admin route with a 403 page; an Admin gets it', async () => {
    await user(node, 'victor', 'Viewer', PASSWORD);
    const viewer = cookieOf(await signIn(node, 'victor', PASSWORD));
    const refused = await get(node, '/ui/users', viewer);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs the Admin role; victor has Viewer');
    const admin = cookieOf(await signIn(node, 'alice', PASSWORD));
    const page = await get(node, '/ui/users', admin);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<td>victor<\/td><td>Viewer<\/td>/);
  });

  it('issue 12 point 1: a sign-in posted from another site is refused (Sec-Fetch-Site: cross-site)', async () => {
    const res = await signIn(node, 'alice', PASSWORD, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('issue 12 point 1: passwords are never in the log nor in the database in clear', async () => {
    await signIn(node, 'alice', PASSWORD);
    await signIn(node, 'alice', 'another wrong one');
    await signIn(node, 'correct horse typed as name', 'x');
    await node.stop();
    const text = fx.log.join('');
    expect(text).toContain('ui sign-in');
    for (const secret of [PASSWORD, 'another wrong one', 'correct horse typed as name']) expect(text).not.toContain(secret);
    if (engine === 'sqlite') {
      for (const f of ['central.db', 'central.db-wal']) {
        const file = join(fx.dataDir, f);
        if (existsSync(file)) expect(readFileSync(file).includes(PASSWORD)).toBe(false);
      }
    } else {
      const reopened = await fx.start();
      const stored = await reopened.repo.ui.user('alice');
      expect(stored?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(JSON.stringify(stored)).not.toContain(PASSWORD);
    }
  });
});
