// Issue 11, point 2, on both central engines: Inbound API keys are stored by
// name and SHA-256 only, found by that digest, disabled, enabled and deleted;
// authenticateApiKey refuses missing, malformed, unknown and disabled keys;
// and a key disabled through one replica is refused by another replica on the
// same database within 1 s.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScadaLinkError } from '../../../src/commons/index.js';
import {
  type CentralRepository,
  apiKeyAllows,
  apiKeyHash,
  authenticateApiKey,
  createApiKey,
  deleteApiKey,
  requireApiKeyApproved,
  setApiKeyDisabled,
} from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The code `run` rejects with (fails the test if it resolves). */
async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof ScadaLinkError) return err.code;
    throw err;
  }
  throw new Error('expected a ScadaLinkError');
}

describe.each(ENGINES)('Inbound API keys on %s (issue 11, point 2)', (engine, open) => {
  let h: EngineHarness;
  let repo: CentralRepository;

  freshEachTest(open, (opened) => {
    h = opened;
    repo = opened.repo;
  });

  it('stores a key by name and hash, finds it by its hash only, and lists keys by name without hashes', async () => {
    expect(await repo.putApiKey({ name: 'mes', keyHash: sha256('k1') })).toBe(true);
    expect(await repo.putApiKey({ name: 'erp', keyHash: sha256('k2') })).toBe(true);
    expect(await repo.apiKeyByHash(sha256('k1'))).toEqual({ name: 'mes', keyHash: sha256('k1'), createdAtUtc: expect.any(String), disabledAtUtc: null, lastUsedAtUtc: null });
    expect(await repo.apiKeyByHash(sha256('k3'))).toBeUndefined();
    const listed = await repo.apiKeys();
    expect(listed.map((k) => k.name)).toEqual(['erp', 'mes']);
    expect(JSON.stringify(listed)).not.toContain(sha256('k1'));
    expect(await repo.apiKey('mes')).toEqual({ name: 'mes', createdAtUtc: expect.any(String), disabledAtUtc: null, lastUsedAtUtc: null });
    expect(await repo.apiKey('nobody')).toBeUndefined();
  });

  it('refuses a second key of the same name (nothing written) and keeps the first', async () => {
    expect(await repo.putApiKey({ name: 'mes', keyHash: sha256('k1') })).toBe(true);
    expect(await repo.putApiKey({ name: 'mes', keyHash: sha256('k2') })).toBe(false);
    expect(await repo.apiKeyByHash(sha256('k2'))).toBeUndefined();
    expect((await repo.apiKeyByHash(sha256('k1')))?.name).toBe('mes');
    expect(await codeOf(createApiKey(repo, 'alice', 'mes'))).toBe('API_KEY_EXISTS');
  });

  it('disables a key (keeping the first time), enables it, deletes it; false for a name it does not know', async () => {
    await repo.putApiKey({ name: 'mes', keyHash: sha256('k1') });
    expect(await repo.setApiKeyDisabled('mes', true)).toBe(true);
    const at = (await repo.apiKey('mes'))?.disabledAtUtc;
    expect(at).toEqual(expect.any(String));
    expect(await repo.setApiKeyDisabled('mes', true)).toBe(true);
    expect((await repo.apiKey('mes'))?.disabledAtUtc).toBe(at);
    expect((await repo.apiKeyByHash(sha256('k1')))?.disabledAtUtc).toBe(at);
    expect(await repo.setApiKeyDisabled('mes', false)).toBe(true);
    expect((await repo.apiKey('mes'))?.disabledAtUtc).toBeNull();
    expect(await repo.setApiKeyDisabled('nobody', true)).toBe(false);
    expect(await repo.deleteApiKey('mes')).toBe(true);
    expect(await repo.deleteApiKey('mes')).toBe(false);
    expect(await repo.apiKeyByHash(sha256('k1'))).toBeUndefined();
    // The name is free again.
    expect(await repo.putApiKey({ name: 'mes', keyHash: sha256('k9') })).toBe(true);
  });

  it("moves a key's last use forward only", async () => {
    await repo.putApiKey({ name: 'mes', keyHash: sha256('k1') });
    await repo.touchApiKey('mes', '2026-11-29T06:00:00.000Z');
    await repo.touchApiKey('mes', '2026-11-29T05:00:00.000Z');
    expect((await repo.apiKey('mes'))?.lastUsedAtUtc).toBe('2026-11-29T06:00:00.000Z');
    await repo.touchApiKey('nobody', '2026-11-29T06:00:00.000Z');
  });

  it('shows a new key once: slk_api_ and 256 random bits; the database row holds its SHA-256 and no part of the key', async () => {
    const { key, name } = await createApiKey(repo, 'alice', 'mes');
    expect(name).toBe('mes');
    expect(key).toMatch(/^slk_api_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(8), 'base64url')).toHaveLength(32);
    const rows = await h.query(engine === 'sqlite' ? 'SELECT * FROM ApiKeys' : 'SELECT * FROM api_keys');
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(key.slice(8));
    expect(text).not.toContain(key.slice(8, 24));
    expect(rows[0]![engine === 'sqlite' ? 'KeyHash' : 'key_hash']).toBe(apiKeyHash(key));
    expect(apiKeyHash(key)).toBe(sha256(key));
    expect(JSON.stringify(await repo.apiKeys())).not.toContain(apiKeyHash(key));
    expect((await repo.actions({ limit: 10 })).map((a) => [a.action, a.target, a.operator])).toEqual([['apikey.create', 'mes', 'alice']]);
  });

  it('authenticateApiKey returns the name of a valid key and records its last use', async () => {
    const { key } = await createApiKey(repo, 'alice', 'mes');
    expect(await authenticateApiKey(repo, key)).toBe('mes');
    expect((await repo.apiKey('mes'))?.lastUsedAtUtc).toEqual(expect.any(String));
  });

  it('authenticateApiKey: API_KEY_MISSING without a key; API_KEY_INVALID, with one message, for malformed, unknown, disabled and deleted keys', async () => {
    const { key } = await createApiKey(repo, 'alice', 'mes');
    await createApiKey(repo, 'alice', 'erp');
    for (const missing of [undefined, '', []]) expect(await codeOf(authenticateApiKey(repo, missing))).toBe('API_KEY_MISSING');
    const unknown = `slk_api_${'A'.repeat(43)}`;
    const refusals: unknown[] = [];
    const refuse = async (header: string | string[]): Promise<void> => {
      try {
        await authenticateApiKey(repo, header);
        throw new Error(`accepted ${String(header)}`);
      } catch (err) {
        refusals.push(err instanceof ScadaLinkError ? [err.code, err.message] : err);
      }
    };
    for (const bad of [unknown, key.slice(0, -1), `${key}x`, ` ${key}`, `${key}, ${key}`, [key, key], key.toUpperCase(), 'slk_api_', 'Bearer x']) await refuse(bad);
    await setApiKeyDisabled(repo, 'alice', 'mes', true);
    await refuse(key);
    await setApiKeyDisabled(repo, 'alice', 'mes', false);
    expect(await authenticateApiKey(repo, key)).toBe('mes');
    await deleteApiKey(repo, 'alice', 'mes');
    await refuse(key);
    expect(new Set(refusals.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify(['API_KEY_INVALID', 'the API key is not valid (unknown or disabled)'])]));
    expect(refusals).toHaveLength(11);
  });

  it('a key disabled through one replica is refused by another replica on the same database within 1 s, and enabled again likewise', async () => {
    const other = await h.reopen();
    const { key } = await createApiKey(repo, 'alice', 'mes');
    expect(await authenticateApiKey(other, key)).toBe('mes');

    /** Polls replica `other` until it gives the wanted verdict; returns the ms it took after the change. */
    const untilOther = async (accepts: boolean): Promise<number> => {
      const started = performance.now();
      for (;;) {
        const verdict = await authenticateApiKey(other, key).then(() => true, (err: unknown) => {
          if (err instanceof ScadaLinkError && err.code === 'API_KEY_INVALID') return false;
          throw err;
        });
        const elapsed = performance.now() - started;
        if (verdict === accepts) return elapsed;
        if (elapsed > 1_000) throw new Error(`replica 2 still ${accepts ? 'refuses' : 'accepts'} the key after ${elapsed.toFixed(0)} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await setApiKeyDisabled(repo, 'alice', 'mes', true);
    expect(await untilOther(false)).toBeLessThanOrEqual(1_000);
    await setApiKeyDisabled(repo, 'alice', 'mes', false);
    expect(await untilOther(true)).toBeLessThanOrEqual(1_000);
    await deleteApiKey(repo, 'alice', 'mes');
    expect(await untilOther(false)).toBeLessThanOrEqual(1_000);
  });
});

describe('API key approval for a method (issue 11, point 2; seed 003, 7.4-2-rt)', () => {
  it('apiKeyAllows only the names a method approves; requireApiKeyApproved refuses the others with API_KEY_NOT_APPROVED', async () => {
    expect(apiKeyAllows('mes', ['mes', 'erp'])).toBe(true);
    expect(apiKeyAllows('MES', ['mes'])).toBe(false);
    expect(apiKeyAllows('mes', [])).toBe(false);
    expect(() => requireApiKeyApproved('mes', ['mes'], 'getRecipe')).not.toThrow();
    expect(await codeOf(Promise.resolve().then(() => requireApiKeyApproved('erp', ['mes'], 'getRecipe')))).toBe('API_KEY_NOT_APPROVED');
  });
});
