// Route.To's instance lookup (issue 11 point 5): the site of an instance comes
// from the newest configuration revision in a real central database, cached
// per revision. The sends themselves are tested over the real link in
// test/e2e/route-to.test.ts.
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCentralRepository, siteRouter, siteSecrets } from '../../src/central/index.js';
import { localCommander } from '../../src/central/site-commands/index.js';
import { bundleOf } from '../../src/config/index.js';
import { SiteLinkServer } from '../../src/transport/index.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });

describe('issue 11 point 5: Route.To resolves an instance to its site from the newest revision', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  let link: SiteLinkServer;

  /** Records a revision whose project places each instance at the given site. */
  const record = async (placement: Record<string, string>): Promise<void> => {
    const instances = Object.fromEntries(Object.entries(placement).map(([code, site]) => [code, { site }]));
    const bundle = bundleOf({ 'scadalink.yaml': stringify({ sites: { plant1: {}, plant2: {} }, instances }) });
    await repo.putConfig(bundle.files, bundle.sha256, 'test');
  };

  beforeEach(() => {
    tmp = tempDir();
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    // A real link server, never listening: the lookup sends nothing.
    link = new SiteLinkServer({ logger, secrets: siteSecrets(repo), ingest: () => Promise.resolve({ accepted: [], rejected: [] }) });
  });
  afterEach(async () => {
    await link.close();
    await repo.close();
    tmp.cleanup();
  });

  it('with no revision recorded every instance is UNKNOWN_INSTANCE', async () => {
    const router = siteRouter({ repo, commander: localCommander(link) });
    await expect(router.siteOf('Pump1')).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE', message: 'no instance Pump1 is deployed' });
  });

  it('an instance deployed by a newer revision is found on its first call, though the cached map is fresh', async () => {
    await record({ Pump1: 'plant1' });
    const router = siteRouter({ repo, commander: localCommander(link), revisionCheckMs: 3_600_000 });
    expect(await router.siteOf('Pump1')).toBe('plant1');
    await record({ Pump1: 'plant1', Pump2: 'plant2' });
    expect(await router.siteOf('Pump2')).toBe('plant2');
    await expect(router.siteOf('Pump3')).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE' });
  });

  it('the map is kept for revisionCheckMs: an instance moved by a newer revision is seen once it is read again', async () => {
    await record({ Pump1: 'plant1' });
    const cached = siteRouter({ repo, commander: localCommander(link), revisionCheckMs: 3_600_000 });
    const rereading = siteRouter({ repo, commander: localCommander(link), revisionCheckMs: 0 });
    expect(await cached.siteOf('Pump1')).toBe('plant1');
    expect(await rereading.siteOf('Pump1')).toBe('plant1');
    await record({ Pump1: 'plant2' });
    expect(await cached.siteOf('Pump1')).toBe('plant1');
    expect(await rereading.siteOf('Pump1')).toBe('plant2');
  });

  it("an instance's site written as ${ENV} resolves from central's environment", async () => {
    await record({ Pump1: '${PUMP_SITE}' });
    const router = siteRouter({ repo, commander: localCommander(link), env: { PUMP_SITE: 'plant2' } });
    expect(await router.siteOf('Pump1')).toBe('plant2');
  });

  it('a routed call to a site that is not connected is SITE_UNREACHABLE at once', async () => {
    await record({ Pump1: 'plant1' });
    const router = siteRouter({ repo, commander: localCommander(link) });
    await expect(router.call('Pump1', 'status', {}, { atMs: Date.now() + 10_000 })).rejects.toMatchObject({
      code: 'SITE_UNREACHABLE',
      details: { site: 'plant1' },
    });
  });
});
