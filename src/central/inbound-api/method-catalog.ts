// The methods the Inbound API serves (issue 11 points 1 and 3): those of the
// newest configuration revision recorded in the central database, so every
// replica serves the same methods and a method added by a new revision (a
// deployment through any replica, a rollback) is served without a restart.
//
// Only the project's `inboundApi` section is parsed here (parseCentralBundle):
// its `${ENV}` references are central's own (its databases' passwords), while
// the rest of the project belongs to the sites and may name variables only
// the sites define.
//
// Freshness: the revision number is read at most once per `refreshMs` (1 s by
// default, one indexed read), and at once when a request names a method the
// catalog does not know, so a method just deployed is never answered 404.
import type { Logger } from 'pino';
import { NO_REDACTION, type Redactor, createRedactor, describeError } from '../../commons/index.js';
import { type InboundApiConfig, type InboundMethodConfig, parseCentralBundle, projectSecrets } from '../../config/index.js';
import { SqlConnections } from '../../integrations/index.js';
import type { CentralRepository } from '../db/index.js';

export interface MethodCatalogOptions {
  readonly repo: Pick<CentralRepository, 'latestRevision' | 'latestConfig'>;
  /** Central's data directory: relative SQLite files of `inboundApi.databases` resolve against it. */
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** How long a read of the newest revision is trusted. Default 1000 ms. */
  readonly refreshMs?: number;
}

/** One revision's methods and the pools of its databases; runs hold it while they use its pools. */
export interface Catalog {
  readonly revision: number | null;
  readonly methods: Readonly<Record<string, InboundMethodConfig>>;
  readonly sql: SqlConnections;
  /** Removes this revision's secrets (central's database passwords, `${ENV}` values) from what central logs. */
  readonly redactor: Redactor;
  /** Marks a run using `sql`; the returned function ends it. A replaced catalog closes its pools once no run uses them. */
  hold(): () => void;
}

const EMPTY: InboundApiConfig = { databases: {}, methods: {} };

class Entry implements Catalog {
  #runs = 0;
  #retired = false;
  #closed: Promise<void> | undefined;
  readonly sql: SqlConnections;

  constructor(
    readonly revision: number | null,
    readonly sha256: string | null,
    readonly inbound: InboundApiConfig,
    /** Same databases as the previous revision: its pools are shared, not reopened. */
    shared: SqlConnections | undefined,
    readonly databasesKey: string,
    readonly redactor: Redactor = NO_REDACTION,
  ) {
    this.sql = shared ?? new SqlConnections(inbound.databases);
  }

  get methods(): Readonly<Record<string, InboundMethodConfig>> {
    return this.inbound.methods;
  }

  hold(): () => void {
    this.#runs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#runs--;
      if (this.#retired && this.#runs === 0) void this.close();
    };
  }

  /** No new run will use it; pools close when the last run ends (unless `keepPools`: the next revision shares them). */
  retire(keepPools: boolean): void {
    this.#retired = true;
    if (keepPools) this.#closed = Promise.resolve();
    else if (this.#runs === 0) void this.close();
  }

  close(): Promise<void> {
    this.#closed ??= this.sql.close();
    return this.#closed;
  }
}

export class MethodCatalog {
  #current: Entry;
  #checkedAt = -Infinity;
  #checking: Promise<void> | undefined;
  readonly #refreshMs: number;

  constructor(private readonly opts: MethodCatalogOptions) {
    this.#refreshMs = opts.refreshMs ?? 1000;
    this.#current = new Entry(null, null, EMPTY, undefined, '{}');
  }

  /** The catalog as of at most `refreshMs` ago; `fresh` reads the newest revision now (joining a read in flight). */
  async get(fresh = false): Promise<Catalog> {
    if (fresh || performance.now() - this.#checkedAt >= this.#refreshMs) await this.#check();
    return this.#current;
  }

  /** The method, reading the newest revision once more before concluding it does not exist. */
  async method(name: string): Promise<{ catalog: Catalog; method: InboundMethodConfig | undefined }> {
    let catalog = await this.get();
    if (!Object.hasOwn(catalog.methods, name)) catalog = await this.get(true);
    return { catalog, method: Object.hasOwn(catalog.methods, name) ? catalog.methods[name] : undefined };
  }

  /** Whether the catalog as last read has this method (no read now): for metric labels. */
  knows(name: string): boolean {
    return Object.hasOwn(this.#current.methods, name);
  }

  async close(): Promise<void> {
    await this.#checking?.catch(() => undefined);
    await this.#current.close();
  }

  #check(): Promise<void> {
    this.#checking ??= this.#load().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #load(): Promise<void> {
    const startedAt = performance.now();
    const latest = await this.opts.repo.latestRevision();
    if (latest === undefined || (latest.revision === this.#current.revision && latest.sha256 === this.#current.sha256)) {
      this.#checkedAt = startedAt;
      return;
    }
    const config = await this.opts.repo.latestConfig();
    if (config === undefined) return;
    let inbound: InboundApiConfig;
    let redactor: Redactor;
    try {
      const project = parseCentralBundle({ files: config.files, sha256: config.sha256 }, this.opts.dataDir, this.opts.env);
      inbound = project.inboundApi;
      redactor = createRedactor(projectSecrets(project));
    } catch (err) {
      // Deployer.record checks this part before recording, so only a changed central environment gets here.
      this.opts.logger.error({ revision: config.revision, err: describeError(err) }, 'Inbound API methods of the newest revision not loaded; serving the previous ones');
      this.#current = new Entry(config.revision, config.sha256, this.#current.inbound, this.#current.sql, this.#current.databasesKey, this.#current.redactor);
      this.#checkedAt = startedAt;
      return;
    }
    const databasesKey = JSON.stringify(inbound.databases);
    const previous = this.#current;
    const same = databasesKey === previous.databasesKey;
    this.#current = new Entry(config.revision, config.sha256, inbound, same ? previous.sql : undefined, databasesKey, redactor);
    previous.retire(same);
    this.#checkedAt = startedAt;
    this.opts.logger.info({ revision: config.revision, methods: Object.keys(inbound.methods).length }, 'Inbound API methods loaded');
  }
}
