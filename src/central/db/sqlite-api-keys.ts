// Inbound API keys on SQLite (issue 11, point 2): the ApiKeys table of
// migration 0006. The base class of the administrative store, so every
// central repository has these methods.
import type Database from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from './types.js';

interface ApiKeyDbRow {
  Name: string;
  KeyHash: string;
  CreatedAtUtc: string;
  DisabledAtUtc: string | null;
  LastUsedAtUtc: string | null;
}

export class SqliteApiKeyStore implements ApiKeyStore {
  /** Prepared once: the lookup runs on every Inbound API request. */
  #byHash: Database.Statement | undefined;

  constructor(readonly db: Database.Database) {}

  putApiKey(key: { readonly name: string; readonly keyHash: string }): Promise<boolean> {
    const r = this.db
      .prepare('INSERT INTO ApiKeys (Name, KeyHash, CreatedAtUtc) VALUES (?, ?, ?) ON CONFLICT (Name) DO NOTHING')
      .run(key.name, key.keyHash, new Date().toISOString());
    return Promise.resolve(r.changes === 1);
  }

  apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    this.#byHash ??= this.db.prepare('SELECT * FROM ApiKeys WHERE KeyHash = ?');
    const r = this.#byHash.get(keyHash) as ApiKeyDbRow | undefined;
    return Promise.resolve(r === undefined ? undefined : { ...summaryOf(r), keyHash: r.KeyHash });
  }

  apiKey(name: string): Promise<ApiKeySummary | undefined> {
    const r = this.db.prepare('SELECT * FROM ApiKeys WHERE Name = ?').get(name) as ApiKeyDbRow | undefined;
    return Promise.resolve(r === undefined ? undefined : summaryOf(r));
  }

  apiKeys(): Promise<ApiKeySummary[]> {
    return Promise.resolve((this.db.prepare('SELECT * FROM ApiKeys ORDER BY Name').all() as ApiKeyDbRow[]).map(summaryOf));
  }

  setApiKeyDisabled(name: string, disabled: boolean): Promise<boolean> {
    // Disabling a disabled key keeps the time it was first disabled.
    const r = this.db
      .prepare('UPDATE ApiKeys SET DisabledAtUtc = CASE WHEN ? THEN COALESCE(DisabledAtUtc, ?) ELSE NULL END WHERE Name = ?')
      .run(disabled ? 1 : 0, new Date().toISOString(), name);
    return Promise.resolve(r.changes === 1);
  }

  deleteApiKey(name: string): Promise<boolean> {
    return Promise.resolve(this.db.prepare('DELETE FROM ApiKeys WHERE Name = ?').run(name).changes === 1);
  }

  touchApiKey(name: string, atUtc: string): Promise<void> {
    this.db
      .prepare('UPDATE ApiKeys SET LastUsedAtUtc = ? WHERE Name = ? AND (LastUsedAtUtc IS NULL OR LastUsedAtUtc < ?)')
      .run(atUtc, name, atUtc);
    return Promise.resolve();
  }
}

function summaryOf(r: ApiKeyDbRow): ApiKeySummary {
  return { name: r.Name, createdAtUtc: r.CreatedAtUtc, disabledAtUtc: r.DisabledAtUtc, lastUsedAtUtc: r.LastUsedAtUtc };
}
