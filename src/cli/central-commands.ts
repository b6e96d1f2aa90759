import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ScadaLinkError, hashSecret } from '../commons/index.js';
import { ROLES, createToken, isRole, openCentralRepository, startCentralNode } from '../central/index.js';
import { guardNode, parsePort, stopOnSignals } from './process.js';

function parseDays(name: string, text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1) throw new ScadaLinkError('INVALID_ARGUMENT', `${name} takes a whole number of days (1 or more), not ${text}`);
  return days * 86_400_000;
}

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function registerCentralCommands(program: Command): void {
  const central = program.command('central').description('run a central node, or manage its sites');

  central
    .command('run', { isDefault: true })
    .description('run central: the site link (gRPC), telemetry ingest, reconciliation and the admin API')
    .requiredOption('--data <dir>', 'data directory (central.db when no --database-url)')
    .option('--project <dir>', 'the project to deploy to the sites (recorded as a new revision when it changed)')
    .option('--database-url <url>', 'PostgreSQL URL (postgres://…); default: SQLite in --data')
    .option('--host <host>', 'address of the HTTP endpoints', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP endpoints (0 picks one)', '8080')
    .option('--grpc-host <host>', 'address of the site link', '127.0.0.1')
    .option('--grpc-port <port>', 'port of the site link (0 picks one)', '7443')
    .option('--tls-cert <file>', 'serve the site link over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--site-call-retention <days>', 'days a terminal SiteCalls row is kept after it ended', '365')
    .option('--audit-retention <days>', 'days an AuditLog row is kept (PostgreSQL: whole months)', '365')
    .action(async (opts: { data: string; project?: string; databaseUrl?: string; host: string; port: string; grpcHost: string; grpcPort: string; tlsCert?: string; tlsKey?: string; siteCallRetention: string; auditRetention: string }) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
        throw new ScadaLinkError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
      }
      guardNode('central');
      const node = await startCentralNode({
        dataDir: resolve(opts.data),
        projectDir: opts.project,
        databaseUrl: opts.databaseUrl ?? process.env.SCADALINK_DATABASE_URL,
        host: opts.host,
        port: parsePort('--port', opts.port),
        grpcHost: opts.grpcHost,
        grpcPort: parsePort('--grpc-port', opts.grpcPort),
        tls: opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined,
        siteCallRetentionMs: parseDays('--site-call-retention', opts.siteCallRetention),
        auditRetentionMs: parseDays('--audit-retention', opts.auditRetention),
      });
      stopOnSignals('central', () => node.stop());
    });

  registerTokenCommands(central);
  // The issue's and the docs' shorter spelling: `scadalink token create`.
  registerTokenCommands(program);

  const sites = central.command('site').description("manage the sites allowed to connect");
  sites
    .command('add <name>')
    .description('registers a site (or gives it a new secret) and prints the secret once; central keeps only its hash')
    .requiredOption('--data <dir>', 'central data directory')
    .option('--database-url <url>', 'PostgreSQL URL; default: SQLite in --data')
    .action(async (name: string, opts: { data: string; databaseUrl?: string }) => {
      if (!SITE_NAME.test(name)) {
        throw new ScadaLinkError('INVALID_ARGUMENT', 'a site name is 1-64 letters, digits, dots, dashes or underscores');
      }
      const repo = await openCentralRepository({ dataDir: resolve(opts.data), databaseUrl: opts.databaseUrl ?? process.env.SCADALINK_DATABASE_URL });
      try {
        const secret = randomBytes(24).toString('base64url');
        await repo.putSite(name, await hashSecret(secret));
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`site ${name} registered; start it with SCADALINK_SITE_SECRET set to the line above (it is not stored)\n`);
      } finally {
        await repo.close();
      }
    });
}

/** `token create` under `parent` (central's operator tokens, kept hashed in its database). */
function registerTokenCommands(parent: Command): void {
  const tokens = parent.command('token').description('operator tokens for the admin API');
  tokens
    .command('create')
    .description('creates an operator token and prints it once; central keeps only its hash')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who uses it (recorded as the operator of their actions)')
    .requiredOption('--data <dir>', 'central data directory')
    .option('--database-url <url>', 'PostgreSQL URL; default: SQLite in --data')
    .action(async (opts: { role: string; name: string; data: string; databaseUrl?: string }) => {
      if (!isRole(opts.role)) throw new ScadaLinkError('INVALID_ARGUMENT', `--role takes ${ROLES.join(', ')}, not ${opts.role}`);
      if (opts.name.trim() === '') throw new ScadaLinkError('INVALID_ARGUMENT', '--name must not be empty');
      const repo = await openCentralRepository({ dataDir: resolve(opts.data), databaseUrl: opts.databaseUrl ?? process.env.SCADALINK_DATABASE_URL });
      try {
        process.stdout.write(`${await createToken(repo, opts.name, opts.role)}\n`);
        process.stderr.write(`${opts.role} token for ${opts.name} created; it is shown only this once\n`);
      } finally {
        await repo.close();
      }
    });
}
