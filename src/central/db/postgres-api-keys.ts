// Inbound API keys on PostgreSQL (issue 11, point 2): the api_keys table of
// migration 0006. The base class of the administrative store, so every
// central repository has these methods.
import type pg from 'pg';
import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from './types.js';

interface PgApiKey {
  name: string;
  key_hash: string;
  created_at_utc: Date;
  disabled_at_utc: Date | null;
  last_used_at_utc: Date | null;
}

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(readonly pool: pg.Pool) {}

  async putApiKey(key: { readonly name: string; readonly keyHash: string }): Promise<boolean> {
    const r = await this.pool.query(
      'INSERT INTO api_keys (name, key_hash, created_at_utc) VALUES ($1, $2, now()) ON CONFLICT (name) DO NOTHING',
      [key.name, key.keyHash],
    );
    return r.rowCount === 1;
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    // A named statement: parsed and planned once per connection, as it runs on every Inbound API request.
    const { rows } = await this.pool.query<PgApiKey>({ name: 'api-key-by-hash', text: 'SELECT * FROM api_keys WHERE key_hash = $1', values: [keyHash] });
    const r = rows[0];
    return r === undefined ? undefined : { ...summaryOf(r), keyHash: r.key_hash };
  }

  async apiKey(name: string): Promise<ApiKeySummary | undefined> {
    const { rows } = await this.pool.query<PgApiKey>('SELECT * FROM api_keys WHERE name = $1', [name]);
    return rows[0] === undefined ? undefined : summaryOf(rows[0]);
  }

  async apiKeys(): Promise<ApiKeySummary[]> {
    const { rows } = await this.pool.query<PgApiKey>('SELECT * FROM api_keys ORDER BY name COLLATE "C"');
    return rows.map(summaryOf);
  }

  async setApiKeyDisabled(name: string, disabled: boolean): Promise<boolean> {
    // Disabling a disabled key keeps the time it was first disabled.
    const r = await this.pool.query(
      'UPDATE api_keys SET disabled_at_utc = CASE WHEN $2 THEN COALESCE(disabled_at_utc, now()) ELSE NULL END WHERE name = $1',
      [name, disabled],
    );
    return r.rowCount === 1;
  }

  async deleteApiKey(name: string): Promise<boolean> {
    return (await this.pool.query('DELETE FROM api_keys WHERE name = $1', [name])).rowCount === 1;
  }

  async touchApiKey(name: string, atUtc: string): Promise<void> {
    await this.pool.query(
      `UPDATE api_keys SET last_used_at_utc = $2::timestamptz
       WHERE name = $1 AND (last_used_at_utc IS NULL OR last_used_at_utc < $2::timestamptz)`,
      [name, atUtc],
    );
  }
}

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

function summaryOf(r: PgApiKey): ApiKeySummary {
  return { name: r.name, createdAtUtc: r.created_at_utc.toISOString(), disabledAtUtc: iso(r.disabled_at_utc), lastUsedAtUtc: iso(r.last_used_at_utc) };
}
