// Issue 12, point 1, on both central engines: the UI's users and sessions
// (migration 0009) mean the same on SQLite and PostgreSQL.
import { describe, expect, it } from 'vitest';
import type { CentralRepository } from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';

describe.each(ENGINES)('issue 12 point 1: UI users and sessions on %s', (_engine, open) => {
  let h: EngineHarness;
  let repo: CentralRepository;
  freshEachTest(open, (opened) => {
    h = opened;
    repo = opened.repo;
  });

  it('issue 12 point 1: users are stored once by name, listed by name without hashes, disabled, enabled and given new passwords', async () => {
    expect(await repo.ui.putUser({ name: 'zed', role: 'Viewer', passwordHash: 'h1' })).toBe(true);
    expect(await repo.ui.putUser({ name: 'amy', role: 'Admin', passwordHash: 'h2' })).toBe(true);
    expect(await repo.ui.putUser({ name: 'amy', role: 'Viewer', passwordHash: 'h3' })).toBe(false);
    expect(await repo.ui.user('amy')).toMatchObject({ name: 'amy', role: 'Admin', passwordHash: 'h2', disabled: false, failedAttempts: 0, lastFailureAtMs: null });
    const listed = await repo.ui.users();
    expect(listed.map((u) => u.name)).toEqual(['amy', 'zed']);
    expect(JSON.stringify(listed)).not.toContain('h2');
    expect(await repo.ui.setUserDisabled('zed', true)).toBe(true);
    expect((await repo.ui.user('zed'))?.disabled).toBe(true);
    expect(await repo.ui.setUserDisabled('ghost', true)).toBe(false);
    await repo.ui.signInFailed('amy', 1_000);
    await repo.ui.signInFailed('amy', 2_000);
    expect(await repo.ui.user('amy')).toMatchObject({ failedAttempts: 2, lastFailureAtMs: 2_000 });
    expect(await repo.ui.setUserPassword('amy', 'h4')).toBe(true);
    expect(await repo.ui.user('amy')).toMatchObject({ passwordHash: 'h4', failedAttempts: 0, lastFailureAtMs: null });
    expect(await repo.ui.setUserPassword('ghost', 'h5')).toBe(false);
    await repo.ui.signInFailed('amy', 3_000);
    await repo.ui.signInSucceeded('amy');
    expect((await repo.ui.user('amy'))?.failedAttempts).toBe(0);
  });

  it('issue 12 point 1: a session is found by its hash from another connection, touched forward only, and ended by sign-out, disabling, a new password or the purge', async () => {
    await repo.ui.putUser({ name: 'amy', role: 'Deployment', passwordHash: 'h' });
    await repo.ui.putSession('s1', 'amy', 1_000);
    const other = await h.reopen();
    expect(await other.ui.session('s1')).toMatchObject({ user: { name: 'amy', role: 'Deployment' }, createdAtMs: 1_000, lastSeenAtMs: 1_000 });
    await other.ui.touchSession('s1', 5_000);
    await repo.ui.touchSession('s1', 4_000);
    expect((await repo.ui.session('s1'))?.lastSeenAtMs).toBe(5_000);
    await repo.ui.deleteSession('s1');
    expect(await other.ui.session('s1')).toBeUndefined();

    await repo.ui.putSession('s2', 'amy', 1_000);
    await repo.ui.setUserDisabled('amy', true);
    expect(await repo.ui.session('s2')).toBeUndefined();
    await repo.ui.setUserDisabled('amy', false);
    await repo.ui.putSession('s3', 'amy', 1_000);
    await repo.ui.setUserPassword('amy', 'h2');
    expect(await repo.ui.session('s3')).toBeUndefined();

    await repo.ui.putSession('idle', 'amy', 1_000);
    await repo.ui.putSession('old', 'amy', 1_000);
    await repo.ui.touchSession('old', 9_000);
    await repo.ui.putSession('live', 'amy', 8_000);
    // Idle since before 5000 or created before 2000.
    expect(await repo.ui.purgeSessions(5_000, 2_000)).toBe(2);
    expect(await repo.ui.session('live')).toBeDefined();
  });
});
