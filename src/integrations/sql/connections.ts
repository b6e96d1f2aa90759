import type { DatabaseConnectionConfig } from '../../config/index.js';
import type { ManagedSqlConnection } from './base.js';
import { SqlErrorCode, sqlError } from './classify.js';
import { MysqlConnection } from './mysql.js';
import { PostgresConnection } from './postgres.js';
import { SqliteConnection } from './sqlite.js';
import type { SqlConnection } from './types.js';

function createConnection(config: DatabaseConnectionConfig): ManagedSqlConnection {
  switch (config.driver) {
    case 'postgres':
      return new PostgresConnection(config);
    case 'mysql':
      return new MysqlConnection(config);
    case 'sqlite':
      return new SqliteConnection(config);
  }
}

/**
 * The configured database connections of a node, by name. Each gets one pool
 * of `poolSize` connections (sqlite: one handle), created on first use.
 */
export class SqlConnections {
  readonly #configs: Readonly<Record<string, DatabaseConnectionConfig>>;
  readonly #open = new Map<string, ManagedSqlConnection>();
  #closed = false;

  constructor(configs: Readonly<Record<string, DatabaseConnectionConfig>>) {
    this.#configs = configs;
  }

  /** Throws a permanent `UNKNOWN_CONNECTION` DeliveryError for a name that is not configured. */
  get(name: string): SqlConnection {
    const open = this.#open.get(name);
    if (open !== undefined) return open;
    const config = Object.hasOwn(this.#configs, name) ? this.#configs[name] : undefined;
    if (config === undefined) {
      throw sqlError(SqlErrorCode.UnknownConnection, `unknown database connection "${name}"`, {}, {
        details: { connection: name },
      });
    }
    if (this.#closed) {
      throw sqlError(SqlErrorCode.Connection, 'connection is closed', { connection: name });
    }
    const created = createConnection(config);
    this.#open.set(name, created);
    return created;
  }

  /** Rolls back open transactions and ends every pool. Later calls fail transient `SQL_CONNECTION`. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#open.values()];
    await Promise.all(all.map((c) => c.close()));
  }
}
