// Central's administrative commands (issue 9, points 4 and 5): tokens, sites,
// deployment revisions and the audit of operator actions, run against
// central's database (`--data`, or `--database-url` for PostgreSQL). They
// refuse a database central never used (NO_CENTRAL_STORE) unless `--create`
// is given to the commands that set one up (`token create`, `site add`).
// Every change is audited with the operator: --operator, else the OS user.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ScadaLinkError } from '../commons/index.js';
import {
  type CentralRepository,
  ROLES,
  SITE_NAME,
  addSite,
  addToken,
  configRevision,
  isRole,
  openCentralRepository,
  removeSite,
  revokeToken,
  rollbackTo,
  setSiteDisabled,
  siteView,
} from '../central/index.js';
import { operatorName, print } from './output.js';

export interface StoreOptions {
  readonly data: string;
  readonly databaseUrl?: string;
  readonly create?: boolean;
}

/** Opens central's database for one command and closes it after. */
export async function withCentral<T>(opts: StoreOptions, run: (repo: CentralRepository) => Promise<T>): Promise<T> {
  const repo = await openCentralRepository({
    dataDir: resolve(opts.data),
    databaseUrl: opts.databaseUrl ?? process.env.SCADALINK_DATABASE_URL,
    mustExist: opts.create !== true,
  });
  try {
    return await run(repo);
  } finally {
    await repo.close();
  }
}

/** The options every admin command takes; `create` for the commands that may set up a new database. */
export function store(cmd: Command, how: { create?: boolean; operator?: boolean; json?: boolean } = {}): Command {
  cmd.requiredOption('--data <dir>', 'central data directory').option('--database-url <url>', 'PostgreSQL URL; default: SQLite in --data');
  if (how.create === true) cmd.option('--create', 'create the central database if there is none (the first command of a new installation)');
  if (how.operator === true) cmd.option('--operator <name>', 'who does this, for the audit (default: your user name)');
  if (how.json === true) cmd.option('--json', 'one JSON object per line');
  return cmd;
}

function revisionArg(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new ScadaLinkError('INVALID_ARGUMENT', `a revision is a whole number from 1, not ${text.slice(0, 100)}`);
  return Number(text);
}

function siteArg(name: string): string {
  if (!SITE_NAME.test(name)) throw new ScadaLinkError('INVALID_ARGUMENT', 'a site name is 1-64 letters, digits, dots, dashes or underscores');
  return name;
}

/** `token create|list|revoke` under `parent` (central's operator tokens, kept hashed in its database). */
export function registerTokenCommands(parent: Command): void {
  const tokens = parent.command('token').description('operator tokens for the admin API');
  store(tokens.command('create'), { create: true, operator: true })
    .description('creates an operator token and prints it once; central keeps only its hash')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who uses it (recorded as the operator of their actions)')
    .action(async (opts: StoreOptions & { role: string; name: string; operator?: string }) => {
      if (!isRole(opts.role)) throw new ScadaLinkError('INVALID_ARGUMENT', `--role takes ${ROLES.join(', ')}, not ${opts.role}`);
      if (opts.name.trim() === '') throw new ScadaLinkError('INVALID_ARGUMENT', '--name must not be empty');
      const role = opts.role;
      const { token, tokenId } = await withCentral(opts, (repo) => addToken(repo, operatorName(opts.operator), opts.name, role));
      process.stdout.write(`${token}\n`);
      process.stderr.write(`${opts.role} token ${tokenId} for ${opts.name} created; it is shown only this once\n`);
    });
  store(tokens.command('list'), { json: true })
    .description('lists the tokens: id, name, role, created, last used, revoked (never a secret or hash)')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const rows = await withCentral(opts, (repo) => repo.tokens());
      const shown = rows.map((t) => ({ id: t.tokenId, name: t.name, role: t.role, createdAtUtc: t.createdAtUtc, lastUsedAtUtc: t.lastUsedAtUtc, revokedAtUtc: t.revokedAtUtc }));
      print(shown, opts.json === true, ['id', 'name', 'role', 'createdAtUtc', 'lastUsedAtUtc', 'revokedAtUtc']);
    });
  store(tokens.command('revoke <token>'), { operator: true })
    .description('revokes a token by id, or by name when one valid token has it; refused from the next request on every central node')
    .action(async (idOrName: string, opts: StoreOptions & { operator?: string }) => {
      const { token, revoked } = await withCentral(opts, (repo) => revokeToken(repo, operatorName(opts.operator), idOrName));
      process.stdout.write(`token ${token.tokenId} (${token.name}, ${token.role}) ${revoked ? 'revoked' : 'was already revoked'}\n`);
    });
}

/** `site add|list|disable|enable|remove` under central's `site` command. */
export function registerSiteAdminCommands(sites: Command): void {
  store(sites.command('add <name>'), { create: true, operator: true })
    .description('registers a site (or gives it a new secret) and prints the secret once; central keeps only its hash')
    .action(async (name: string, opts: StoreOptions & { operator?: string }) => {
      const secret = await withCentral(opts, (repo) => addSite(repo, operatorName(opts.operator), siteArg(name)));
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`site ${name} registered; start it with SCADALINK_SITE_SECRET set to the line above (it is not stored)\n`);
    });
  store(sites.command('list'), { json: true })
    .description('lists the sites: enabled, last seen, the revision each runs')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const rows = await withCentral(opts, async (repo) => (await repo.sites()).map(siteView));
      print(rows, opts.json === true, ['name', 'enabled', 'lastSeenAtUtc', 'configRevision', 'configError']);
    });
  for (const action of ['disable', 'enable'] as const) {
    store(sites.command(`${action} <name>`), { operator: true })
      .description(action === 'disable' ? 'refuses the site from now on (SITE_DISABLED), closing its open stream on every central node' : 'lets a disabled site connect again')
      .action(async (name: string, opts: StoreOptions & { operator?: string }) => {
        await withCentral(opts, (repo) => setSiteDisabled(repo, operatorName(opts.operator), siteArg(name), action === 'disable'));
        process.stdout.write(`site ${name} ${action}d\n`);
      });
  }
  store(sites.command('remove <name>'), { operator: true })
    .description("removes the site's registration: it can no longer connect; its SiteCalls and AuditLog rows stay")
    .action(async (name: string, opts: StoreOptions & { operator?: string }) => {
      await withCentral(opts, (repo) => removeSite(repo, operatorName(opts.operator), siteArg(name)));
      process.stdout.write(`site ${name} removed; its history stays (\`central site add ${name}\` registers it again)\n`);
    });
}

/** `deployment list|show|rollback` and `audit list` under `central`. */
export function registerDeploymentCommands(central: Command): void {
  const deployments = central.command('deployment').description("central's configuration revisions");
  store(deployments.command('list'), { json: true })
    .description('lists the revisions, newest first: digest, recorded when and by whom, which sites run it')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const rows = await withCentral(opts, (repo) => repo.configs());
      const shown = opts.json === true ? rows : rows.map((r) => ({ ...r, sha256: r.sha256.slice(0, 12), sites: r.sites.join(',') }));
      print(shown, opts.json === true, ['revision', 'sha256', 'createdAtUtc', 'createdBy', 'note', 'sites']);
    });
  store(deployments.command('show <revision>'), { json: true })
    .description("a revision's summary and files; --file prints one file")
    .option('--file <path>', 'print this file of the revision (e.g. scadalink.yaml)')
    .action(async (text: string, opts: StoreOptions & { json?: boolean; file?: string }) => {
      const config = await withCentral(opts, (repo) => configRevision(repo, revisionArg(text)));
      if (opts.file !== undefined) {
        const body = Object.hasOwn(config.files, opts.file) ? config.files[opts.file] : undefined;
        if (body === undefined) throw new ScadaLinkError('INVALID_ARGUMENT', `--file: revision ${config.revision} has no file ${opts.file.slice(0, 200)}`);
        process.stdout.write(body);
        return;
      }
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(config) + '\n');
        return;
      }
      const { files, ...summary } = config;
      for (const [k, v] of Object.entries(summary)) process.stdout.write(`${k}: ${v ?? ''}\n`);
      print(Object.entries(files).map(([path, body]) => ({ path, bytes: Buffer.byteLength(body) })), false, ['path', 'bytes']);
    });
  store(deployments.command('rollback <revision>'), { operator: true })
    .description("records a new revision equal to the given one; central's nodes send it to their sites within seconds")
    .action(async (text: string, opts: StoreOptions & { operator?: string }) => {
      const revision = revisionArg(text);
      const { config, created } = await withCentral(opts, (repo) => rollbackTo(repo, operatorName(opts.operator), revision));
      process.stdout.write(
        created
          ? `revision ${config.revision} recorded (rollback of ${revision}); central sends it to the connected sites\n`
          : `revision ${config.revision}, the newest, already has the files of revision ${revision}; nothing recorded\n`,
      );
    });

  const audit = central.command('audit').description('the audit of operator actions');
  store(audit.command('list'), { json: true })
    .description('operator actions, newest first: who, what, target, when')
    .option('--action <action>', 'only this action (e.g. site.disable)')
    .option('--target <target>', 'only actions on this token id, site or revision')
    .option('--limit <n>', 'most rows (1-1000)', '100')
    .action(async (opts: StoreOptions & { json?: boolean; action?: string; target?: string; limit: string }) => {
      if (!/^[1-9]\d{0,3}$/.test(opts.limit) || Number(opts.limit) > 1000) throw new ScadaLinkError('INVALID_ARGUMENT', `--limit takes a whole number from 1 to 1000, not ${opts.limit}`);
      const rows = await withCentral(opts, (repo) => repo.actions({ action: opts.action, target: opts.target, limit: Number(opts.limit) }));
      print(rows, opts.json === true, ['id', 'atUtc', 'operator', 'action', 'target', 'detail']);
    });
}
