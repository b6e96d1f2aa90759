// Operator tokens for central's admin API (central issue, point 7):
// `slk_<id>.<secret>`, created by `scadalink central token create`, stored as
// a scrypt hash, each with a role. Viewer reads; Deployment also acts on
// operations (Retry/Discard) and deploys; Admin may do everything. A token is
// revoked by `token revoke` (issue 9, point 5): its row is read on every
// request, so the revocation holds from the next request on every central node.
import { createHash, randomBytes } from 'node:crypto';
import { ScadaLinkError, hashSecret, verifySecret } from '../commons/index.js';
import type { CentralRepository, OperatorRole, TokenRecord, TokenSummary } from './db/index.js';

export const ROLES: readonly OperatorRole[] = ['Viewer', 'Deployment', 'Admin'];
const RANK: Readonly<Record<OperatorRole, number>> = { Viewer: 0, Deployment: 1, Admin: 2 };

export function isRole(value: unknown): value is OperatorRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: OperatorRole, needed: OperatorRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** Creates a token and returns it; it is shown once and only its hash is kept. */
export async function createToken(repo: CentralRepository, name: string, role: OperatorRole): Promise<string> {
  const tokenId = randomBytes(9).toString('base64url');
  const secret = randomBytes(24).toString('base64url');
  await repo.putToken({ tokenId, name, role, secretHash: await hashSecret(secret) });
  return `slk_${tokenId}.${secret}`;
}

/** The id part of a token `createToken` made (what `token list` and `token revoke` use). */
export function tokenIdOf(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

/**
 * The token `idOrName` names: its id, else the one token of that name that is
 * not revoked. TOKEN_NOT_FOUND when none; TOKEN_AMBIGUOUS (listing the ids)
 * when several valid tokens share the name.
 */
export async function findToken(repo: CentralRepository, idOrName: string): Promise<TokenSummary> {
  const all = await repo.tokens();
  const byId = all.find((t) => t.tokenId === idOrName);
  if (byId !== undefined) return byId;
  const named = all.filter((t) => t.name === idOrName);
  const valid = named.filter((t) => t.revokedAtUtc === null);
  if (valid.length > 1) {
    throw new ScadaLinkError('TOKEN_AMBIGUOUS', `${valid.length} valid tokens are named ${idOrName} (${valid.map((t) => t.tokenId).join(', ')}): give the id`);
  }
  const found = valid[0] ?? named[0];
  if (found === undefined) throw new ScadaLinkError('TOKEN_NOT_FOUND', `no token with the id or name ${idOrName.slice(0, 100)}`);
  return found;
}

const TOKEN = /^slk_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{16,})$/;
/** scrypt's verdict for a (token, stored hash) pair is remembered this long, so it does not run per request. */
const VERIFIED_TTL_MS = 60_000;
const MAX_VERIFIED = 10_000;
/** A token's last use is written at most this often (per central node). */
const TOUCH_EVERY_MS = 60_000;

export class TokenVerifier {
  readonly #repo: CentralRepository;
  /** Digest of (bearer, stored hash) -> until when scrypt's "yes" is trusted. */
  readonly #verified = new Map<string, number>();

  constructor(repo: CentralRepository) {
    this.#repo = repo;
  }

  /** The token's record when `bearer` is a valid token that is not revoked, else undefined. */
  async verify(bearer: string): Promise<TokenRecord | undefined> {
    const m = TOKEN.exec(bearer);
    if (m === null) return undefined;
    // Read on every request (one primary-key lookup): a revocation made anywhere counts at once.
    const record = await this.#repo.token(m[1]!);
    if (record === undefined || record.revokedAtUtc !== null) return undefined;
    const key = createHash('sha256').update(bearer).update('\u0000').update(record.secretHash).digest('hex');
    const until = this.#verified.get(key);
    if (until === undefined || until <= Date.now()) {
      if (!(await verifySecret(m[2]!, record.secretHash))) return undefined;
      this.#verified.delete(key);
      this.#verified.set(key, Date.now() + VERIFIED_TTL_MS);
      while (this.#verified.size > MAX_VERIFIED) this.#verified.delete(this.#verified.keys().next().value!);
    }
    const now = Date.now();
    if (record.lastUsedAtUtc === null || Date.parse(record.lastUsedAtUtc) < now - TOUCH_EVERY_MS) {
      await this.#repo.touchToken(record.tokenId, new Date(now).toISOString());
    }
    return record;
  }
}
