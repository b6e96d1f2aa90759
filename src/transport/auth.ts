// Central's check of a site's credentials (issue 8, point 6), and of whether
// an operator disabled the site (issue 9, point 5). The stored hash
// is read on every call, so a secret rotated by another process (`scadalink
// central site add`) or on another central node is refused from the next
// call; only scrypt's verdict for (site, secret, stored hash) is remembered,
// which a new hash makes useless at once. Failures cost the same whether the
// site exists or not (an unknown site is checked against a dummy hash) and are
// slowed per source address and per site name.
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { describeError, hashSecret, verifySecret } from '../commons/index.js';
import { FailureThrottle, type ThrottleOptions } from './throttle.js';

/** What central stores about a site's right to connect. */
export interface SiteAccess {
  /** The scrypt hash of the site's secret. */
  readonly secretHash: string;
  /** An operator disabled the site (issue 9, point 5): even its right secret is refused, with SITE_DISABLED. */
  readonly disabled: boolean;
}

/** Where central reads the sites' stored secret hashes. */
export interface SiteSecrets {
  /** A site's stored access; undefined for an unknown (or removed) site. */
  site(site: string): Promise<SiteAccess | undefined>;
  /** Every site's access, read often to notice rotations, disabling and removal made elsewhere. */
  sites(): Promise<ReadonlyMap<string, SiteAccess>>;
}

export type AuthVerdict =
  | { readonly ok: true; readonly site: string; readonly secretHash: string }
  | { readonly ok: false; readonly code: grpc.status; readonly details: string };

/** Site names are 1-64 characters (`central site add`); secrets are 32 base64url characters. Longer values are refused unread. */
const MAX_CREDENTIAL_CHARS = 256;
/** A verdict is remembered this long; a rotation invalidates it sooner (the stored hash is part of its key). */
const VERDICT_TTL_MS = 10 * 60_000;
const MAX_VERDICTS = 10_000;
/** scrypt checks run at once at most: each takes 16 MiB and a core (the machines have two). */
const MAX_CONCURRENT_CHECKS = 2;

export const WRONG_CREDENTIALS = 'unknown site or wrong secret';

/** The refusal of a disabled site, told only to a caller that proved it is the site. */
export function siteDisabled(site: string): string {
  return `SITE_DISABLED: site ${site} is disabled at central (scadalink central site enable ${site})`;
}

export class SiteAuthenticator {
  readonly #secrets: SiteSecrets;
  readonly #logger: Logger;
  readonly #throttle: FailureThrottle;
  readonly #verdicts = new Map<string, number>();
  // Made once, lazily: an unknown site costs one scrypt like a known one.
  #dummy: Promise<string> | undefined;
  #checking = 0;
  readonly #queue: (() => void)[] = [];

  constructor(secrets: SiteSecrets, logger: Logger, throttle?: ThrottleOptions) {
    this.#secrets = secrets;
    this.#logger = logger;
    this.#throttle = new FailureThrottle(throttle);
  }

  async check(site: unknown, secret: unknown, source: string): Promise<AuthVerdict> {
    if (typeof site !== 'string' || typeof secret !== 'string' || site === '' || secret === '' || site.length > MAX_CREDENTIAL_CHARS || secret.length > MAX_CREDENTIAL_CHARS) {
      return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'the call carries no site name and secret' };
    }
    try {
      const stored = await this.#secrets.site(site);
      if (stored !== undefined && this.#remembered(verdictKey(site, secret, stored.secretHash))) return admit(site, stored);
      const keys = [`source:${source}`, `site:${site}`];
      const wait = this.#throttle.reserve(keys);
      if (wait === undefined) {
        return { ok: false, code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many failed authentications from this address or for this site; retry later' };
      }
      let failed = true;
      try {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Read again after the wait: a rotation during it must count.
        const current = wait > 0 ? await this.#secrets.site(site) : stored;
        this.#dummy ??= hashSecret(randomBytes(16).toString('hex'));
        const matches = await this.#verify(secret, current?.secretHash ?? (await this.#dummy));
        if (current === undefined || !matches) return { ok: false, code: grpc.status.UNAUTHENTICATED, details: WRONG_CREDENTIALS };
        failed = false;
        this.#remember(verdictKey(site, secret, current.secretHash));
        return admit(site, current);
      } finally {
        this.#throttle.settle(keys, failed);
      }
    } catch (err) {
      this.#logger.error({ site, err: describeError(err) }, 'site authentication failed');
      return { ok: false, code: grpc.status.UNAVAILABLE, details: 'central cannot check credentials now' };
    }
  }

  async #verify(secret: string, stored: string): Promise<boolean> {
    if (this.#checking >= MAX_CONCURRENT_CHECKS) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#checking++;
    try {
      return await verifySecret(secret, stored);
    } finally {
      this.#checking--;
      this.#queue.shift()?.();
    }
  }

  #remembered(key: string): boolean {
    const until = this.#verdicts.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#verdicts.delete(key);
    return false;
  }

  #remember(key: string): void {
    this.#verdicts.delete(key);
    this.#verdicts.set(key, Date.now() + VERDICT_TTL_MS);
    while (this.#verdicts.size > MAX_VERDICTS) this.#verdicts.delete(this.#verdicts.keys().next().value!);
  }
}

/** The right secret: admitted unless the site is disabled (which is not a failed authentication, so it is not slowed). */
function admit(site: string, access: SiteAccess): AuthVerdict {
  if (access.disabled) return { ok: false, code: grpc.status.PERMISSION_DENIED, details: siteDisabled(site) };
  return { ok: true, site, secretHash: access.secretHash };
}

const verdictKey = (site: string, secret: string, stored: string): string =>
  createHash('sha256').update(site).update('\u0000').update(secret).update('\u0000').update(stored).digest('hex');

/** The address part of grpc-js's peer string (`1.2.3.4:5678`, `::1:5678`). */
export function sourceOf(peer: string): string {
  const i = peer.lastIndexOf(':');
  return i > 0 ? peer.slice(0, i) : peer;
}
