// Operator tokens for central's admin API (central issue, point 7):
// `slk_<id>.<secret>`, created by `scadalink central token create`, stored as
// a scrypt hash, each with a role. Viewer reads; Deployment also acts on
// operations (Retry/Discard); Admin may do everything.
import { createHash, randomBytes } from 'node:crypto';
import { hashSecret, verifySecret } from '../commons/index.js';
import type { CentralRepository, OperatorRole, TokenRecord } from './db/index.js';

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

const TOKEN = /^slk_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{16,})$/;
/** A verified token is remembered (as a digest) this long, so scrypt does not run per request. */
const VERIFIED_TTL_MS = 60_000;

export class TokenVerifier {
  readonly #repo: CentralRepository;
  readonly #verified = new Map<string, { record: TokenRecord; until: number }>();

  constructor(repo: CentralRepository) {
    this.#repo = repo;
  }

  /** The token's record when `bearer` is a valid token, else undefined. */
  async verify(bearer: string): Promise<TokenRecord | undefined> {
    const m = TOKEN.exec(bearer);
    if (m === null) return undefined;
    const digest = createHash('sha256').update(bearer).digest('hex');
    const known = this.#verified.get(digest);
    if (known !== undefined && known.until > Date.now()) return known.record;
    const record = await this.#repo.token(m[1]!);
    if (record === undefined || !(await verifySecret(m[2]!, record.secretHash))) return undefined;
    this.#verified.set(digest, { record, until: Date.now() + VERIFIED_TTL_MS });
    return record;
  }
}
