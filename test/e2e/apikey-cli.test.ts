// Issue 11, point 2, with real CLI processes: `scadalink central apikey
// create|list|disable|enable|delete` against central's database, on SQLite
// and on PostgreSQL; a key the CLI disables is refused by a central
// repository that was already open on the database (another replica).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CentralRepository,
  PostgresCentralRepository,
  SqliteCentralRepository,
  apiKeyHash,
  authenticateApiKey,
} from '../../src/central/index.js';
import { ScadaLinkError } from '../../src/commons/index.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { runCli } from '../support/process.js';

const verdict = (repo: CentralRepository, key: string): Promise<string> =>
  authenticateApiKey(repo, key).catch((err: unknown) => (err instanceof ScadaLinkError ? err.code : Promise.reject(err)));

describe('scadalink central apikey (issue 11, point 2)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('create prints the key once on stdout; list, disable, enable and delete manage it and never print a key or hash (SQLite)', async () => {
    const data = join(tmp.dir, 'central');
    const cli = (...args: string[]) => runCli(['central', 'apikey', ...args, '--data', data, ...(args[0] === 'list' ? [] : ['--operator', 'ops'])]);
    const created = cli('create', 'mes', '--create');
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^slk_api_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown only this once');
    expect(created.stderr).not.toContain(key);

    const repo = new SqliteCentralRepository(join(data, 'central.db'));
    try {
      expect(await verdict(repo, key)).toBe('mes');
      const listed = cli('list', '--json');
      expect(listed.status).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual({ name: 'mes', enabled: true, createdAtUtc: expect.any(String), disabledAtUtc: null, lastUsedAtUtc: expect.any(String) });
      expect(cli('list').stdout).toMatch(/^name\s+enabled\s+createdAtUtc\s+disabledAtUtc\s+lastUsedAtUtc\nmes\s+true\s/);
      for (const out of [listed.stdout, cli('list').stdout]) {
        expect(out).not.toContain(key.slice(8, 24));
        expect(out).not.toContain(apiKeyHash(key));
      }

      expect(cli('disable', 'mes')).toMatchObject({ status: 0, stdout: 'API key mes disabled\n' });
      expect(await verdict(repo, key)).toBe('API_KEY_INVALID');
      expect(JSON.parse(cli('list', '--json').stdout)).toMatchObject({ enabled: false, disabledAtUtc: expect.any(String) });
      expect(cli('enable', 'mes')).toMatchObject({ status: 0, stdout: 'API key mes enabled\n' });
      expect(await verdict(repo, key)).toBe('mes');
      expect(cli('delete', 'mes')).toMatchObject({ status: 0, stdout: 'API key mes deleted\n' });
      expect(await verdict(repo, key)).toBe('API_KEY_INVALID');
      expect(cli('list').stdout).toBe('(none)\n');
      const audit = (await repo.actions({ target: 'mes', limit: 10 })).map((a) => `${a.operator} ${a.action}`);
      expect(audit).toEqual(['ops apikey.delete', 'ops apikey.enable', 'ops apikey.disable', 'ops apikey.create']);
    } finally {
      await repo.close();
    }
  }, 120_000);

  it('refuses a taken name (API_KEY_EXISTS), a bad name (API_KEY_NAME_INVALID), an unknown key (API_KEY_NOT_FOUND) and a missing store (NO_CENTRAL_STORE), printing nothing on stdout', () => {
    const data = join(tmp.dir, 'central');
    const cli = (...args: string[]) => runCli(['central', 'apikey', ...args, '--data', data]);
    // (test/e2e/lifecycle-cli.test.ts covers the other admin commands' NO_CENTRAL_STORE.)
    for (const args of [['create', 'mes'], ['list']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain('NO_CENTRAL_STORE');
      expect(r.stdout).toBe('');
    }
    expect(cli('create', 'mes', '--create').status).toBe(0);
    const expected: readonly (readonly [string[], string])[] = [
      [['create', 'mes'], 'API_KEY_EXISTS'],
      [['create', 'has space'], 'API_KEY_NAME_INVALID'],
      [['create', '.x'], 'API_KEY_NAME_INVALID'],
      [['disable', 'nobody'], 'API_KEY_NOT_FOUND'],
      [['enable', 'nobody'], 'API_KEY_NOT_FOUND'],
      [['delete', 'nobody'], 'API_KEY_NOT_FOUND'],
    ];
    for (const [args, code] of expected) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toContain(code);
      expect(r.stdout).toBe('');
    }
  }, 120_000);

  it('on PostgreSQL (--database-url): a key the CLI disables is refused by a replica already open on the database, and enabled again', async () => {
    const db = await createPgDatabase('sl_apikey');
    const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    const cli = (...args: string[]) => runCli(['central', 'apikey', ...args, '--data', tmp.dir, '--database-url', url]);
    let replica: CentralRepository | undefined;
    try {
      const created = cli('create', 'erp', '--create');
      expect(created.status, created.stderr).toBe(0);
      const key = created.stdout.trim();
      replica = await PostgresCentralRepository.open(url);
      expect(await verdict(replica, key)).toBe('erp');
      expect(cli('disable', 'erp').status).toBe(0);
      // The CLI has exited, its change committed: the replica's next request sees it.
      expect(await verdict(replica, key)).toBe('API_KEY_INVALID');
      expect(cli('enable', 'erp').status).toBe(0);
      expect(await verdict(replica, key)).toBe('erp');
      expect(JSON.parse(cli('list', '--json').stdout)).toMatchObject({ name: 'erp', enabled: true });
    } finally {
      await replica?.close();
      await db.drop();
    }
  }, 120_000);
});
