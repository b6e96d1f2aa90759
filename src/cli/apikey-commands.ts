// `scadalink central apikey create|list|disable|enable|delete` (issue 11,
// point 2): Inbound API keys, kept in central's database as SHA-256 digests.
// Like the other admin commands they run against central's database
// (`--data`, or `--database-url`) and act on every central node at once.
import type { Command } from 'commander';
import { apiKeyView, createApiKey, deleteApiKey, setApiKeyDisabled } from '../central/index.js';
import { type StoreOptions, store, withCentral } from './central-admin-commands.js';
import { operatorName, print } from './output.js';

type Operated = StoreOptions & { operator?: string };

export function registerApiKeyCommands(central: Command): void {
  const keys = central.command('apikey').description('API keys of the Inbound API (X-API-Key)');
  store(keys.command('create <name>'), { create: true, operator: true })
    .description('creates an API key and prints it once; central keeps only its SHA-256')
    .action(async (name: string, opts: Operated) => {
      const created = await withCentral(opts, (repo) => createApiKey(repo, operatorName(opts.operator), name));
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`API key ${created.name} created; it is shown only this once (approve it for methods by its name)\n`);
    });
  store(keys.command('list'), { json: true })
    .description('lists the API keys: name, enabled, created, disabled, last used (never a key or hash)')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const rows = await withCentral(opts, async (repo) => (await repo.apiKeys()).map(apiKeyView));
      print(rows, opts.json === true, ['name', 'enabled', 'createdAtUtc', 'disabledAtUtc', 'lastUsedAtUtc']);
    });
  for (const action of ['disable', 'enable'] as const) {
    store(keys.command(`${action} <name>`), { operator: true })
      .description(action === 'disable' ? 'refuses the key from its next request on every central node (401 API_KEY_INVALID)' : 'lets a disabled key in again')
      .action(async (name: string, opts: Operated) => {
        await withCentral(opts, (repo) => setApiKeyDisabled(repo, operatorName(opts.operator), name, action === 'disable'));
        process.stdout.write(`API key ${name} ${action}d\n`);
      });
  }
  store(keys.command('delete <name>'), { operator: true })
    .description('deletes the key: refused from its next request; the name can be used again')
    .action(async (name: string, opts: Operated) => {
      await withCentral(opts, (repo) => deleteApiKey(repo, operatorName(opts.operator), name));
      process.stdout.write(`API key ${name} deleted\n`);
    });
}
