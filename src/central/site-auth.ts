import { verifySecret } from '../commons/index.js';
import type { CentralRepository } from './db/index.js';

/** The site link's `authenticate`: the secret must match the site's stored hash. */
export function siteAuthenticator(repo: CentralRepository): (site: string, secret: string) => Promise<boolean> {
  return async (site, secret) => {
    const rec = await repo.site(site);
    return rec !== undefined && (await verifySecret(secret, rec.secretHash));
  };
}
