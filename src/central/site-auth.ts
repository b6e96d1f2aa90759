import type { SiteSecrets } from '../transport/index.js';
import type { CentralRepository } from './db/index.js';

/**
 * The site link's view of the sites' stored secret hashes. Read from the
 * database on every call (one primary-key lookup) and polled for rotations, so
 * `central site add` run anywhere takes effect on every central node at once.
 */
export function siteSecrets(repo: CentralRepository): SiteSecrets {
  return {
    secretHash: async (site) => (await repo.site(site))?.secretHash,
    secretHashes: async () => new Map((await repo.sites()).map((s) => [s.name, s.secretHash])),
  };
}
