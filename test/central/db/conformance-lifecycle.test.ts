// Issue 9, point 5, on both central engines: tokens are listed without their
// hashes and revoked, sites are disabled, enabled, seen and removed (their
// history stays), revisions are listed with the sites that run them, and
// operator actions are audited.
import { describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../../src/commons/index.js';
import type { CentralRepository } from '../../../src/central/index.js';
import { ENGINES, freshEachTest } from './engines.js';
import { step } from './events.js';

describe.each(ENGINES)('central lifecycle on %s (issue 9, point 5)', (_engine, open) => {
  let repo: CentralRepository;

  freshEachTest(open, (opened) => {
    repo = opened.repo;
  });

  it('lists tokens without their hashes, records the last use forward only, and revokes once', async () => {
    await repo.putToken({ tokenId: 'aaaaaaaaaaaa', name: 'alice', role: 'Admin', secretHash: 'scrypt$a' });
    await repo.putToken({ tokenId: 'bbbbbbbbbbbb', name: 'bob', role: 'Viewer', secretHash: 'scrypt$b' });
    const listed = await repo.tokens();
    expect(listed.map((t) => t.tokenId)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);
    expect(listed[0]).toEqual({ tokenId: 'aaaaaaaaaaaa', name: 'alice', role: 'Admin', createdAtUtc: expect.any(String), lastUsedAtUtc: null, revokedAtUtc: null });
    expect(JSON.stringify(listed)).not.toContain('scrypt$');

    await repo.touchToken('aaaaaaaaaaaa', '2026-11-29T06:00:00.000Z');
    await repo.touchToken('aaaaaaaaaaaa', '2026-11-29T05:00:00.000Z');
    expect((await repo.token('aaaaaaaaaaaa'))?.lastUsedAtUtc).toBe('2026-11-29T06:00:00.000Z');

    expect(await repo.revokeToken('aaaaaaaaaaaa')).toBe(true);
    expect(await repo.revokeToken('aaaaaaaaaaaa')).toBe(false);
    expect(await repo.revokeToken('nonexistent0')).toBe(false);
    expect((await repo.token('aaaaaaaaaaaa'))?.revokedAtUtc).toEqual(expect.any(String));
    expect((await repo.token('bbbbbbbbbbbb'))?.revokedAtUtc).toBeNull();
  });

  it('disables and enables a site (a new secret keeps it disabled), moves its last-seen time forward only', async () => {
    await repo.putSite('plant-a', 'h1');
    expect(await repo.site('plant-a')).toMatchObject({ disabledAtUtc: null, lastSeenAtUtc: null });
    expect(await repo.setSiteDisabled('plant-a', true)).toBe(true);
    const disabledAt = (await repo.site('plant-a'))?.disabledAtUtc;
    expect(disabledAt).toEqual(expect.any(String));
    expect(await repo.setSiteDisabled('plant-a', true)).toBe(true);
    expect((await repo.site('plant-a'))?.disabledAtUtc).toBe(disabledAt);
    await repo.putSite('plant-a', 'h2');
    expect(await repo.site('plant-a')).toMatchObject({ secretHash: 'h2', disabledAtUtc: disabledAt });
    expect(await repo.setSiteDisabled('plant-a', false)).toBe(true);
    expect((await repo.site('plant-a'))?.disabledAtUtc).toBeNull();
    expect(await repo.setSiteDisabled('nowhere', true)).toBe(false);

    await repo.seeSites(['plant-a', 'nowhere'], '2026-11-29T06:00:00.000Z');
    await repo.seeSites(['plant-a'], '2026-11-29T05:00:00.000Z');
    expect((await repo.site('plant-a'))?.lastSeenAtUtc).toBe('2026-11-29T06:00:00.000Z');
    await repo.seeSites([], '2026-11-29T07:00:00.000Z');
  });

  it("removes a site's registration and keeps its SiteCalls and AuditLog rows; adding it again starts afresh", async () => {
    await repo.putSite('plant-a', 'h1');
    const id = newTrackedOperationId();
    await repo.ingest('plant-a', [step(id, 'CachedSubmit', 'Submitted', 1)]);
    expect(await repo.removeSite('plant-a')).toBe(true);
    expect(await repo.removeSite('plant-a')).toBe(false);
    expect(await repo.site('plant-a')).toBeUndefined();
    expect(await repo.siteCall(id)).toMatchObject({ sourceSite: 'plant-a', status: 'Submitted' });
    expect(await repo.auditOf(id)).toHaveLength(1);
    expect((await repo.listSiteCalls({ site: 'plant-a' }, { limit: 10 })).items).toHaveLength(1);
    await repo.putSite('plant-a', 'h3');
    expect(await repo.site('plant-a')).toMatchObject({ secretHash: 'h3', disabledAtUtc: null, reconcileVersion: 0 });
  });

  it('lists revisions newest first with their note and the sites that run each; reads one by number', async () => {
    const files = (v: string): Record<string, string> => ({ 'scadalink.yaml': `# ${v}\n` });
    await repo.putConfig(files('v1'), 'sha-1', 'start');
    await repo.putConfig(files('v2'), 'sha-2', 'alice');
    const third = await repo.putConfig(files('v1'), 'sha-1', 'bob', 'rollback of 1');
    expect(third).toMatchObject({ revision: 3, files: files('v1'), createdBy: 'bob', note: 'rollback of 1' });
    expect(await repo.latestRevision()).toEqual({ revision: 3, sha256: 'sha-1' });
    await repo.putSite('plant-a', 'h');
    await repo.putSite('plant-b', 'h');
    await repo.putSite('plant-c', 'h');
    await repo.reportConfig('plant-a', { revision: 3, error: null });
    await repo.reportConfig('plant-b', { revision: 3, error: null });
    await repo.reportConfig('plant-c', { revision: 2, error: null });
    const list = await repo.configs();
    expect(list).toEqual([
      { revision: 3, sha256: 'sha-1', createdAtUtc: expect.any(String), createdBy: 'bob', note: 'rollback of 1', sites: ['plant-a', 'plant-b'] },
      { revision: 2, sha256: 'sha-2', createdAtUtc: expect.any(String), createdBy: 'alice', note: null, sites: ['plant-c'] },
      { revision: 1, sha256: 'sha-1', createdAtUtc: expect.any(String), createdBy: 'start', note: null, sites: [] },
    ]);
    expect(await repo.config(2)).toMatchObject({ revision: 2, files: files('v2'), note: null });
    expect(await repo.config(9)).toBeUndefined();
  });

  it('audits operator actions newest first, filtered by action and target and paged by id', async () => {
    await repo.recordAction({ operator: 'alice', action: 'site.disable', target: 'plant-a', detail: null });
    await repo.recordAction({ operator: 'bob', action: 'site.enable', target: 'plant-a', detail: null });
    await repo.recordAction({ operator: 'bob', action: 'token.revoke', target: 'aaaaaaaaaaaa', detail: 'Admin token for alice' });
    const all = await repo.actions({ limit: 10 });
    expect(all.map((a) => a.action)).toEqual(['token.revoke', 'site.enable', 'site.disable']);
    expect(all[0]).toEqual({ id: expect.any(Number), atUtc: expect.any(String), operator: 'bob', action: 'token.revoke', target: 'aaaaaaaaaaaa', detail: 'Admin token for alice' });
    expect((await repo.actions({ target: 'plant-a', limit: 10 })).map((a) => a.operator)).toEqual(['bob', 'alice']);
    expect((await repo.actions({ action: 'site.disable', limit: 10 })).map((a) => a.operator)).toEqual(['alice']);
    const page = await repo.actions({ limit: 2 });
    expect((await repo.actions({ before: page[1]!.id, limit: 2 })).map((a) => a.action)).toEqual(['site.disable']);
  });
});
