// Issue 11, point 2, through central's admin API in-process (real SQLite, real
// HTTP): /admin/api/api-keys is for the Admin role only, shows a new key once,
// never shows a key or hash afterwards, and its disable, enable and delete
// take effect on authentication from the next request.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CentralNode, apiKeyHash, authenticateApiKey, createToken, startCentralNode } from '../../src/central/index.js';
import { ScadaLinkError } from '../../src/commons/index.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

describe('API keys through the admin API (issue 11, point 2)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let admin: string;
  let deployment: string;
  let viewer: string;

  beforeEach(async () => {
    tmp = tempDir();
    node = await startCentralNode({ dataDir: tmp.dir, port: 0, grpcPort: 0, logger, maintenanceOnStart: false });
    admin = await createToken(node.repo, 'alice', 'Admin');
    deployment = await createToken(node.repo, 'dora', 'Deployment');
    viewer = await createToken(node.repo, 'victor', 'Viewer');
  });
  afterEach(async () => {
    await node.stop();
    tmp.cleanup();
  });

  const call = async (method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${node.url}/admin/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
  };
  const verdict = (key: string): Promise<string> =>
    authenticateApiKey(node.repo, key).catch((err: unknown) => (err instanceof ScadaLinkError ? err.code : Promise.reject(err)));

  const routes: readonly (readonly [string, string, unknown?])[] = [
    ['GET', '/api-keys'],
    ['POST', '/api-keys', { name: 'mes' }],
    ['POST', '/api-keys/mes/disable'],
    ['POST', '/api-keys/mes/enable'],
    ['DELETE', '/api-keys/mes'],
  ];

  it('refuses every API key route to Viewer and Deployment tokens with 403 FORBIDDEN_ROLE, and without a token with 401; nothing is created', async () => {
    await call('POST', '/api-keys', admin, { name: 'mes' });
    for (const [method, path, body] of routes) {
      for (const token of [viewer, deployment]) {
        const answer = await call(method, path, token, body);
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(answer.body.error?.code).toBe('FORBIDDEN_ROLE');
      }
      const anonymous = await call(method, path, undefined, body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error?.code).toBe('ADMIN_UNAUTHORIZED');
    }
    expect(await node.repo.apiKey('mes')).toMatchObject({ disabledAtUtc: null });
    expect((await node.repo.apiKeys()).map((k) => k.name)).toEqual(['mes']);
  });

  it('an Admin creates a key (201, shown once, not cacheable), lists it without key or hash, disables, enables and deletes it, each audited', async () => {
    const created = await call('POST', '/api-keys', admin, { name: 'mes' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const key = created.body.key as string;
    expect(key).toMatch(/^slk_api_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toEqual({ name: 'mes', key, createdAtUtc: expect.any(String) });
    expect(await verdict(key)).toBe('mes');

    const listed = await call('GET', '/api-keys', admin);
    expect(listed.body).toEqual({ apiKeys: [{ name: 'mes', enabled: true, createdAtUtc: expect.any(String), disabledAtUtc: null, lastUsedAtUtc: expect.any(String) }] });
    const hash = (await node.repo.apiKeyByHash(apiKeyHash(key)))!.keyHash;
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(8, 24));
    expect(JSON.stringify(listed.body)).not.toContain(hash);

    const disabled = await call('POST', '/api-keys/mes/disable', admin);
    expect(disabled.body).toMatchObject({ name: 'mes', enabled: false, disabledAtUtc: expect.any(String) });
    expect(await verdict(key)).toBe('API_KEY_INVALID');
    expect((await call('POST', '/api-keys/mes/enable', admin)).body).toMatchObject({ name: 'mes', enabled: true, disabledAtUtc: null });
    expect(await verdict(key)).toBe('mes');
    expect(await call('DELETE', '/api-keys/mes', admin)).toMatchObject({ status: 200, body: { deleted: 'mes' } });
    expect(await verdict(key)).toBe('API_KEY_INVALID');
    expect((await call('GET', '/api-keys', admin)).body).toEqual({ apiKeys: [] });

    const audit = (await node.repo.actions({ target: 'mes', limit: 10 })).map((a) => [a.action, a.operator]);
    expect(audit).toEqual([['apikey.delete', 'alice'], ['apikey.enable', 'alice'], ['apikey.disable', 'alice'], ['apikey.create', 'alice']]);
  });

  it('answers 409 API_KEY_EXISTS for a taken name, 400 API_KEY_NAME_INVALID for a bad name or body, 404 API_KEY_NOT_FOUND for an unknown key', async () => {
    expect((await call('POST', '/api-keys', admin, { name: 'mes' })).status).toBe(201);
    expect(await call('POST', '/api-keys', admin, { name: 'mes' })).toMatchObject({ status: 409, body: { error: { code: 'API_KEY_EXISTS' } } });
    for (const body of [{ name: '' }, { name: 'has space' }, { name: '-dash' }, { name: 'x'.repeat(65) }, { name: 7 }, {}, { name: 'ok', role: 'Admin' }, ['mes'], 'mes']) {
      expect(await call('POST', '/api-keys', admin, body), JSON.stringify(body)).toMatchObject({ status: 400, body: { error: { code: 'API_KEY_NAME_INVALID' } } });
    }
    for (const [method, path] of [['POST', '/api-keys/nobody/disable'], ['POST', '/api-keys/nobody/enable'], ['DELETE', '/api-keys/nobody']] as const) {
      expect(await call(method, path, admin)).toMatchObject({ status: 404, body: { error: { code: 'API_KEY_NOT_FOUND' } } });
    }
    expect((await node.repo.apiKeys()).map((k) => k.name)).toEqual(['mes']);
  });
});
