// Inbound API keys (issue 11, point 2; seed 003 sections 7.2 and 7.3): how a
// key looks, how it is stored, and how a request's `X-API-Key` is checked.
//
// A key is `slk_api_` and 43 base64url characters: 32 bytes from the CSPRNG,
// 256 bits. Central keeps only the SHA-256 of the whole key. A fast hash is
// the right one here, unlike for operator tokens and site secrets (scrypt): a
// slow hash only protects secrets that could be guessed, and 2^256 keys cannot
// be searched however fast each try is, while scrypt would cost every Inbound
// API request ~50 ms of CPU.
//
// The key is looked up by that digest (one unique-index lookup), not by an id
// embedded in the key followed by a comparison: the index compares digests,
// and how long it takes to find (or miss) a digest tells an attacker nothing
// about the key that would hash to a stored one. So there is no comparison of
// secret bytes left to make constant-time.
//
// authenticateApiKey reads the row on every call. The endpoint uses
// authenticateApiKeyCached: a row found is served for API_KEY_CACHE_MS
// (400 ms), then while one read refreshes it, up to API_KEY_STALE_MS (800 ms),
// so a key disabled or deleted through any central node is refused by every
// node within that and one read (the issue allows 1 s), and at once by the node
// that disabled it through setApiKeyDisabled / deleteApiKey (they call
// forgetApiKeys). An unknown key is never kept: it is read again every time.
// The cost of the read, and why it is kept, is in bench/README.md.
import { createHash, randomBytes } from 'node:crypto';
import { KeptReads, ScadaLinkError } from '../../commons/index.js';
import type { ApiKeyRecord, ApiKeyStore } from '../db/index.js';

/** The header a caller sends its key in (seed 003, KDD-ext-5). */
export const API_KEY_HEADER = 'x-api-key';
export const API_KEY_PREFIX = 'slk_api_';
/** 32 random bytes in base64url, after the prefix. */
const API_KEY = /^slk_api_[A-Za-z0-9_-]{43}$/;

/** Key names as `apikey create` takes them (and method definitions list them). */
export const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The HTTP status of each API key error code (merge into the routes' status table). */
export const API_KEY_STATUS: Readonly<Record<string, number>> = {
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  API_KEY_NOT_APPROVED: 403,
  API_KEY_NAME_INVALID: 400,
  API_KEY_NOT_FOUND: 404,
  API_KEY_EXISTS: 409,
};

/** A new key: its text (shown once) and the digest central stores. */
export function newApiKey(): { key: string; keyHash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, keyHash: apiKeyHash(key) };
}

/** Hex SHA-256 of the whole key: what the database holds and is searched by. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isApiKeyName(name: unknown): name is string {
  return typeof name === 'string' && API_KEY_NAME.test(name);
}

/** Checks a key name; API_KEY_NAME_INVALID otherwise. */
export function apiKeyName(name: unknown): string {
  if (isApiKeyName(name)) return name;
  throw new ScadaLinkError('API_KEY_NAME_INVALID', 'an API key name is 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
}

/** A key's last use is written at most this often per key and central node. */
const TOUCH_EVERY_MS = 60_000;
/** Per repository (one per central node): key name -> when this node last wrote its last use. */
const touched = new WeakMap<ApiKeyStore, Map<string, number>>();
const MAX_TOUCHED = 10_000;

/**
 * The name of the key in an `X-API-Key` header value, or a ScadaLinkError:
 * API_KEY_MISSING (401) without one; API_KEY_INVALID (401) for a key that is
 * malformed, unknown or disabled. Unknown and disabled share the code and the
 * message, so a caller cannot tell which keys exist; the operator sees a
 * disabled key in `apikey list`.
 */
export async function authenticateApiKey(repo: ApiKeyStore, header: string | readonly string[] | undefined): Promise<string> {
  if (header === undefined || header === '' || (Array.isArray(header) && header.length === 0)) {
    throw new ScadaLinkError('API_KEY_MISSING', 'an API key is required in the X-API-Key header');
  }
  // Sent twice (an array, or Node's comma-joined duplicates): not one key.
  if (typeof header !== 'string' || !API_KEY.test(header)) throw invalidKey();
  return accept(repo, await repo.apiKeyByHash(apiKeyHash(header)));
}

async function accept(repo: ApiKeyStore, record: ApiKeyRecord | undefined): Promise<string> {
  if (record === undefined || record.disabledAtUtc !== null) throw invalidKey();
  await noteUse(repo, record.name, record.lastUsedAtUtc);
  return record.name;
}

/** authenticateApiKeyCached: a key row read is served this long, then refreshed in the background up to API_KEY_STALE_MS. */
export const API_KEY_CACHE_MS = 400;
/** The oldest row authenticateApiKeyCached serves: a key disabled on another node is refused within this plus one read (issue 11 point 2 allows 1 s). */
export const API_KEY_STALE_MS = 800;
/** Per repository (one per central node): the key rows read, by hash. */
const rows = new WeakMap<ApiKeyStore, KeptReads<string, ApiKeyRecord>>();

/**
 * authenticateApiKey with the row of a known key kept (the Inbound API's
 * per-request check; issue 11 point 11). The answers are the same; only a
 * key disabled elsewhere is refused up to API_KEY_STALE_MS later.
 */
export async function authenticateApiKeyCached(repo: ApiKeyStore, header: string | readonly string[] | undefined): Promise<string> {
  if (typeof header !== 'string' || !API_KEY.test(header)) return authenticateApiKey(repo, header);
  let mine = rows.get(repo);
  if (mine === undefined) rows.set(repo, (mine = new KeptReads((hash) => repo.apiKeyByHash(hash), API_KEY_CACHE_MS, API_KEY_STALE_MS)));
  return accept(repo, await mine.get(apiKeyHash(header)));
}

/** Drops the rows authenticateApiKeyCached keeps for `repo`: a key changed through this node counts at once. */
export function forgetApiKeys(repo: ApiKeyStore): void {
  rows.get(repo)?.forget();
}

/** Whether the key may call a method that approves `approvedNames` (seed 003, 7.4-2-rt). */
export function apiKeyAllows(keyName: string, approvedNames: readonly string[]): boolean {
  return approvedNames.includes(keyName);
}

/** API_KEY_NOT_APPROVED (403) unless the method approves the key. */
export function requireApiKeyApproved(keyName: string, approvedNames: readonly string[], method: string): void {
  if (!apiKeyAllows(keyName, approvedNames)) {
    throw new ScadaLinkError('API_KEY_NOT_APPROVED', `the API key ${keyName} is not approved for the method ${method.slice(0, 100)}`);
  }
}

function invalidKey(): ScadaLinkError {
  return new ScadaLinkError('API_KEY_INVALID', 'the API key is not valid (unknown or disabled)');
}

async function noteUse(repo: ApiKeyStore, name: string, lastUsedAtUtc: string | null): Promise<void> {
  const now = Date.now();
  if (lastUsedAtUtc !== null && Date.parse(lastUsedAtUtc) > now - TOUCH_EVERY_MS) return;
  let mine = touched.get(repo);
  if (mine === undefined) touched.set(repo, (mine = new Map()));
  const last = mine.get(name);
  if (last !== undefined && last > now - TOUCH_EVERY_MS) return;
  mine.delete(name);
  mine.set(name, now);
  if (mine.size > MAX_TOUCHED) mine.delete(mine.keys().next().value!);
  await repo.touchApiKey(name, new Date(now).toISOString());
}
