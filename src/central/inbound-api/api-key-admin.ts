// The lifecycle of Inbound API keys (issue 11, point 2): create (the key is
// shown once), list, disable, enable and delete, the one implementation
// behind both `scadalink central apikey …` and the admin API routes below
// (Admin role only). Each change is audited in OperatorActions.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ScadaLinkError } from '../../commons/index.js';
import type { ApiKeyStore, ApiKeySummary, CentralAdminStore } from '../db/index.js';
import { apiKeyName, forgetApiKeys, newApiKey } from './api-keys.js';

type Store = ApiKeyStore & Pick<CentralAdminStore, 'recordAction'>;

/** A key as `apikey list` and the admin API show it: never the key or its hash. */
export function apiKeyView(k: ApiKeySummary): Record<string, unknown> {
  return { name: k.name, enabled: k.disabledAtUtc === null, createdAtUtc: k.createdAtUtc, disabledAtUtc: k.disabledAtUtc, lastUsedAtUtc: k.lastUsedAtUtc };
}

const notFound = (name: string): ScadaLinkError =>
  new ScadaLinkError('API_KEY_NOT_FOUND', `no API key is named ${name}`, { details: { name } });

/** Creates a key named `name`; returns its text, which is shown once and not stored. API_KEY_EXISTS when the name is taken. */
export async function createApiKey(repo: Store, operator: string, name: string): Promise<{ name: string; key: string; createdAtUtc: string }> {
  const checked = apiKeyName(name);
  const { key, keyHash } = newApiKey();
  if (!(await repo.putApiKey({ name: checked, keyHash }))) {
    throw new ScadaLinkError('API_KEY_EXISTS', `an API key named ${checked} exists already (disable or delete it first)`, { details: { name: checked } });
  }
  await repo.recordAction({ operator, action: 'apikey.create', target: checked, detail: null });
  const created = await repo.apiKey(checked);
  return { name: checked, key, createdAtUtc: created?.createdAtUtc ?? new Date().toISOString() };
}

/** Disables (or enables) the key; returns it as it now is. Audited only when it changed. */
export async function setApiKeyDisabled(repo: Store, operator: string, name: string, disabled: boolean): Promise<ApiKeySummary> {
  const checked = apiKeyName(name);
  const before = await repo.apiKey(checked);
  if (before === undefined || !(await repo.setApiKeyDisabled(checked, disabled))) throw notFound(checked);
  forgetApiKeys(repo);
  if ((before.disabledAtUtc !== null) !== disabled) {
    await repo.recordAction({ operator, action: disabled ? 'apikey.disable' : 'apikey.enable', target: checked, detail: null });
  }
  return (await repo.apiKey(checked)) ?? before;
}

/** Deletes the key: refused from the next request, as a key that never existed. */
export async function deleteApiKey(repo: Store, operator: string, name: string): Promise<void> {
  const checked = apiKeyName(name);
  if (!(await repo.deleteApiKey(checked))) throw notFound(checked);
  forgetApiKeys(repo);
  await repo.recordAction({ operator, action: 'apikey.delete', target: checked, detail: null });
}

const operatorOf = (req: FastifyRequest): string => (req as FastifyRequest & { operator?: string }).operator ?? 'operator';

/** The name in a `POST /api-keys` body: `{"name": "…"}` and nothing else. */
function nameInBody(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScadaLinkError('API_KEY_NAME_INVALID', 'the body must be a JSON object {"name": "…"}');
  }
  const extra = Object.keys(body).filter((k) => k !== 'name');
  if (extra.length > 0) throw new ScadaLinkError('API_KEY_NAME_INVALID', `the body takes only "name", not ${extra.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 50))).join(', ')}`);
  return apiKeyName((body as { name?: unknown }).name);
}

/**
 * The admin routes of API keys, registered inside central's admin context
 * (its operator-token hook applies); every one needs the Admin role.
 */
export function apiKeyAdminRoutes(repo: Store) {
  return async (admin: FastifyInstance): Promise<void> => {
    const adminOnly = { config: { role: 'Admin' as const } };
    admin.get('/api-keys', adminOnly, async () => ({ apiKeys: (await repo.apiKeys()).map(apiKeyView) }));
    admin.post('/api-keys', adminOnly, async (req, reply) => {
      const created = await createApiKey(repo, operatorOf(req), nameInBody(req.body));
      // The only answer that ever carries the key: no cache may keep it.
      return reply.code(201).header('cache-control', 'no-store').send(created);
    });
    for (const action of ['disable', 'enable'] as const) {
      admin.post<{ Params: { name: string } }>(`/api-keys/:name/${action}`, adminOnly, async (req) =>
        apiKeyView(await setApiKeyDisabled(repo, operatorOf(req), req.params.name, action === 'disable')),
      );
    }
    admin.delete<{ Params: { name: string } }>('/api-keys/:name', adminOnly, async (req) => {
      await deleteApiKey(repo, operatorOf(req), req.params.name);
      return { deleted: req.params.name };
    });
  };
}
