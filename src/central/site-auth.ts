import type { SiteAccess, SiteSecrets } from '../transport/index.js';
import type { CentralRepository, SiteRecord } from './db/index.js';

const accessOf = (s: SiteRecord): SiteAccess => ({ secretHash: s.secretHash, disabled: s.disabledAtUtc !== null });

/**
 * The site link's view of the sites' stored secret hashes and disabled flags.
 * Read from the database on every call (one primary-key lookup) and polled,
 * so `central site add|disable|remove` run anywhere takes effect on every
 * central node at once.
 */
export function siteSecrets(repo: CentralRepository): SiteSecrets {
  return {
    site: async (site) => {
      const s = await repo.site(site);
      return s === undefined ? undefined : accessOf(s);
    },
    sites: async () => new Map((await repo.sites()).map((s) => [s.name, accessOf(s)])),
  };
}
